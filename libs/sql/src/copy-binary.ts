/** Bytes per chunk: large enough that a chunk costs one socket write for a few hundred rows. */
const CHUNK_BYTES = 256 * 1024;
/** COPY's binary signature, flags (0) and header extension length (0). */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Text up to this many UTF-16 code units is tried as ASCII first. */
const SHORT_TEXT = 64;

/**
 * COPY data in PostgreSQL's binary format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), for
 * `SqlTransaction.copyFrom(..., { format: 'binary' })`: a header, then per row a field count and
 * each field as a 32-bit length (-1 for NULL) and the type's binary representation, then a
 * trailer. Unlike the text format nothing is escaped, and PostgreSQL does not scan each row for
 * separators and escapes (measured on 806,000 customer rows: ≈ 20% less server CPU than text).
 * One buffer is one COPY statement: `chunks()` adds the trailer. Written straight into
 * Buffers (see copy-buffer.ts for why not strings).
 *
 * Text values are written as UTF-8: a lone surrogate would become U+FFFD, so refuse those first.
 */
export class CopyBinaryBuffer {
  private readonly done: Buffer[] = [];
  private buffer: Buffer;
  private used: number;
  private rows = 0;
  /** Buffers holding marked values (markedText), and each mark's buffer index, start and end. */
  private readonly markedBuffers: Buffer[] = [];
  private readonly marks: number[] = [];

  constructor() {
    this.buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    HEADER.copy(this.buffer);
    this.used = HEADER.length;
  }

  /** Rows begun so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Starts a row of `fields` fields; write exactly that many next. */
  row(fields: number): void {
    this.room(2);
    this.buffer.writeInt16BE(fields, this.used);
    this.used += 2;
    this.rows++;
  }

  null(): void {
    this.room(4);
    this.buffer.writeInt32BE(-1, this.used);
    this.used += 4;
  }

  /**
   * text(value), returning a mark for textAt(): the value can be read back from this buffer's
   * memory (off the JavaScript heap) instead of being kept as a string.
   */
  markedText(value: string): number {
    const bytes = this.text(value);
    if (this.markedBuffers[this.markedBuffers.length - 1] !== this.buffer)
      this.markedBuffers.push(this.buffer);
    const mark = this.marks.length / 3;
    this.marks.push(this.markedBuffers.length - 1, this.used - bytes, this.used);
    return mark;
  }

  /** The text markedText wrote (also after chunks()). */
  textAt(mark: number): string {
    const marks = this.marks;
    return this.markedBuffers[marks[3 * mark]!]!.toString('utf8', marks[3 * mark + 1], marks[3 * mark + 2]);
  }

  /** text, varchar, json (its text), and any type whose binary form is its UTF-8 text. Returns its bytes. */
  text(value: string): number {
    const length = value.length;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    this.room(4 + length * 3);
    const buffer = this.buffer;
    const start = this.used + 4;
    if (length <= SHORT_TEXT) {
      // Short ASCII text byte by byte: cheaper than a call into the encoder.
      let i = 0;
      while (i < length) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i++] = code;
      }
      if (i === length) {
        buffer.writeInt32BE(length, this.used);
        this.used = start + length;
        return length;
      }
    }
    const bytes = buffer.write(value, start);
    buffer.writeInt32BE(bytes, this.used);
    this.used = start + bytes;
    return bytes;
  }

  /** jsonb: a version byte (1), then the JSON text. */
  jsonb(json: string): void {
    this.room(5 + json.length * 3);
    this.buffer[this.used + 4] = 1;
    const bytes = this.buffer.write(json, this.used + 5);
    this.buffer.writeInt32BE(bytes + 1, this.used);
    this.used += 5 + bytes;
  }

  /** bigint (int8), from a bigint or a safe integer; throws RangeError outside its range. */
  int8(value: bigint | number): void {
    this.room(12);
    this.buffer.writeInt32BE(8, this.used);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
      const high = Math.floor(value / 2 ** 32);
      this.buffer.writeInt32BE(high, this.used + 4);
      this.buffer.writeUInt32BE(value - high * 2 ** 32, this.used + 8);
    } else {
      if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${value} is out of range for bigint`);
      this.buffer.writeBigInt64BE(value, this.used + 4);
    }
    this.used += 12;
  }

  /** integer (int4); throws RangeError when not a 32-bit integer. */
  int4(value: number): void {
    this.room(8);
    this.buffer.writeInt32BE(4, this.used);
    this.buffer.writeInt32BE(value, this.used + 4);
    this.used += 8;
  }

  bool(value: boolean): void {
    this.room(5);
    this.buffer.writeInt32BE(1, this.used);
    this.buffer[this.used + 4] = value ? 1 : 0;
    this.used += 5;
  }

  /** The chunks, trailer included; the buffer is not to be written to afterwards. */
  chunks(): Buffer[] {
    this.room(2);
    this.buffer.writeInt16BE(-1, this.used);
    this.used += 2;
    this.done.push(this.buffer.subarray(0, this.used));
    this.used = this.buffer.length;
    return this.done;
  }

  /**
   * Makes room for `bytes` more. A field is never split across chunks (the server would not
   * mind: COPY reads one stream), which keeps the length patching above simple.
   */
  private room(bytes: number): void {
    if (this.buffer.length - this.used >= bytes) return;
    if (this.used > 0) this.done.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes));
    this.used = 0;
  }
}
