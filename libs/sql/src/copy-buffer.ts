/** Bytes per chunk: large enough that a chunk costs one socket write for a few hundred rows. */
const CHUNK_BYTES = 256 * 1024;

/**
 * COPY data (see copy-text.ts) written as UTF-8 straight into Buffers, for
 * `SqlTransaction.copyFrom`. Building the data as strings costs more: every `+=` allocates a
 * string node that lives until the whole chunk is flattened and encoded, and a batch's chunks
 * stay alive until its write runs, so they burden every garbage collection in between;
 * Buffer memory lies outside the JavaScript heap. Pass text that is already COPY-escaped;
 * chunk boundaries may fall anywhere (COPY reads one stream).
 */
export class CopyBuffer {
  private readonly done: Buffer[] = [];
  private buffer: Buffer | null = null;
  private used = 0;

  /** Appends COPY text (UTF-8; a lone surrogate would become U+FFFD, so escape or refuse those first). */
  write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const room = text.length * 3;
    if (this.buffer === null || this.buffer.length - this.used < room) this.next(room);
    this.used += this.buffer!.write(text, this.used);
  }

  /** Bytes written so far. */
  get byteLength(): number {
    let n = this.used;
    for (const chunk of this.done) n += chunk.length;
    return n;
  }

  /** The chunks, in order; the buffer is not to be written to afterwards. */
  chunks(): Buffer[] {
    this.next(0);
    this.buffer = null;
    return this.done;
  }

  private next(room: number): void {
    if (this.buffer !== null && this.used > 0) this.done.push(this.buffer.subarray(0, this.used));
    this.buffer = room === 0 ? null : Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, room));
    this.used = 0;
  }
}
