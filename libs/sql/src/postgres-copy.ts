import type pg from 'pg';
import type { CopyChunk } from './sql-client.js';

/** The parts of node-postgres' connection a COPY FROM STDIN drives (not in @types/pg). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  stream: { cork?(): void; uncork?(): void };
}

/**
 * `COPY ... FROM STDIN` on a node-postgres client, as a Submittable (the same hooks pg-copy-streams
 * uses): the client sends the statement, the server answers CopyInResponse, we send the data and
 * CopyDone, the server reports `COPY <n>` and ReadyForQuery. An error (bad row, missing table)
 * arrives instead as ErrorResponse; node-postgres then hands it to handleError.
 */
export function copyFromStdin(
  client: pg.PoolClient,
  statement: string,
  chunks: readonly CopyChunk[],
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let copied = 0;
    const submittable = {
      submit(connection: CopyConnection) {
        connection.query(statement);
      },
      handleCopyInResponse(connection: CopyConnection) {
        // All of it in one write to the socket (each write costs a system call and wakes the server).
        connection.stream.cork?.();
        for (const chunk of chunks) {
          if (chunk.length === 0) continue;
          connection.sendCopyFromChunk(
            typeof chunk === 'string'
              ? Buffer.from(chunk)
              : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          );
        }
        connection.endCopyFrom();
        connection.stream.uncork?.();
      },
      handleCommandComplete(message: { text?: string }) {
        copied = Number(/^COPY (\d+)$/.exec(message.text ?? '')?.[1] ?? 0);
      },
      handleReadyForQuery() {
        resolve(copied);
      },
      handleError(error: Error) {
        reject(error);
      },
      // Not sent in answer to COPY FROM; present because the client may call them on any query.
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}
