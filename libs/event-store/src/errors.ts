import type { ExpectedRevision, StreamName } from './port.js';

export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: StreamName,
    readonly expected: ExpectedRevision,
    /** The stream's actual revision, -1n when it does not exist, undefined when unknown. */
    readonly actual?: bigint,
  ) {
    super(
      `stream ${stream}: expected revision ${String(expected)}, actual ${actual === undefined ? 'unknown' : String(actual)}`,
    );
  }
}

export class StreamNotFoundError extends Error {
  override readonly name = 'StreamNotFoundError';
  constructor(readonly stream: StreamName) {
    super(`stream ${stream} not found`);
  }
}

/** An append the store refuses whatever the stream state: empty batch, oversized event. */
export class InvalidAppendError extends Error {
  override readonly name = 'InvalidAppendError';
}

/** The configured store cannot be reached or is misconfigured. */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
}
