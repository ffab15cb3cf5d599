import { Metadata, status, type ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, type ReadOptions, type ReadResp } from './proto.js';
import type { InMemoryLog, LogPosition } from './log.js';
import { NO_FILTER, toEventFilter, type EventFilter } from './filter.js';
import { encodedEventMessage, streamNotFoundMessage } from './messages.js';
import { ResponseWriter } from './response-writer.js';
import { subscribeToAll, subscribeToStream } from './subscriptions.js';

const BACKWARDS = 1;
const { RevisionOptionCase } = ReadReq.Options.StreamOptions;
const { AllOptionCase } = ReadReq.Options.AllOptions;

/**
 * Streams.Read: one server-streaming call serves stream reads, `$all` reads and catch-up
 * subscriptions, told apart by the request options (stream or all; count or subscription).
 */
export function readHandler(log: InMemoryLog) {
  return (call: ServerWritableStream<ReadReq, ReadResp>): void => {
    const writer = new ResponseWriter(call);
    serve(log, call.request, writer).then(
      () => writer.end(),
      (error: unknown) => {
        const metadata = new Metadata();
        call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details: error instanceof Error ? error.message : String(error),
          metadata,
        });
      },
    );
  };
}

async function serve(log: InMemoryLog, request: ReadReq, writer: ResponseWriter): Promise<void> {
  const options = request.getOptions();
  if (!options) throw new Error('Read request without options');
  const backwards = options.getReadDirection() === BACKWARDS;
  const subscription = options.hasSubscription();
  const streamOptions = options.getStream();
  if (streamOptions) {
    const name = Buffer.from(streamOptions.getStreamIdentifier()?.getStreamName_asU8() ?? []).toString(
      'utf8',
    );
    const revisionCase = streamOptions.getRevisionOptionCase();
    const revision =
      revisionCase === RevisionOptionCase.REVISION ? BigInt(streamOptions.getRevision()) : null;
    if (subscription) {
      const start =
        revision !== null
          ? { after: revision }
          : { from: startOrEnd(revisionCase === RevisionOptionCase.END) };
      return subscribeToStream(log, writer, name, start);
    }
    return readStream(
      log,
      writer,
      name,
      revision ?? (revisionCase === RevisionOptionCase.END ? 'end' : 'start'),
      backwards,
      count(options),
    );
  }
  const allOptions = options.getAll();
  if (!allOptions) throw new Error('Read request names neither a stream nor $all');
  const filterOptions = options.getFilter();
  const filter = filterOptions ? toEventFilter(filterOptions) : NO_FILTER;
  const grpcPosition = allOptions.getPosition();
  const position: LogPosition | null =
    allOptions.getAllOptionCase() === AllOptionCase.POSITION && grpcPosition
      ? {
          commit: BigInt(grpcPosition.getCommitPosition()),
          prepare: BigInt(grpcPosition.getPreparePosition()),
        }
      : null;
  const isEnd = allOptions.getAllOptionCase() === AllOptionCase.END;
  if (subscription) {
    return subscribeToAll(
      log,
      writer,
      position ? { after: position } : { from: startOrEnd(isEnd) },
      filter,
      !!filterOptions,
    );
  }
  return readAll(log, writer, position ?? startOrEnd(isEnd), backwards, count(options), filter);
}

/**
 * Reads a stream from a revision (inclusive), forwards or backwards. A stream with no events
 * answers with a StreamNotFound message, which the client turns into StreamNotFoundError.
 */
async function readStream(
  log: InMemoryLog,
  writer: ResponseWriter,
  name: string,
  from: bigint | 'start' | 'end',
  backwards: boolean,
  maxCount: number,
): Promise<void> {
  const events = log.stream(name);
  if (!events || events.length === 0) return writer.write(streamNotFoundMessage(name));
  const end = events.length;
  if (backwards) {
    const first = from === 'start' ? 0 : from === 'end' ? end - 1 : Math.min(Number(from), end - 1);
    for (let i = first, sent = 0; i >= 0 && sent < maxCount && !writer.isClosed; i--, sent++) {
      await writer.write(encodedEventMessage(events[i]!));
    }
    return;
  }
  const first = from === 'start' ? 0 : from === 'end' ? end : Number(from);
  for (let i = first, sent = 0; i < end && sent < maxCount && !writer.isClosed; i++, sent++) {
    await writer.write(encodedEventMessage(events[i]!));
  }
}

/**
 * Reads `$all`: forwards from a position inclusive, backwards from a position exclusive (the
 * server's semantics), optionally filtered. Reads what the log holds when the call starts.
 */
async function readAll(
  log: InMemoryLog,
  writer: ResponseWriter,
  from: LogPosition | 'start' | 'end',
  backwards: boolean,
  maxCount: number,
  filter: EventFilter,
): Promise<void> {
  const length = log.length;
  const index = from === 'start' ? 0 : from === 'end' ? length : log.indexFrom(from, true);
  let sent = 0;
  const send = async (i: number) => {
    const event = log.at(i);
    if (!filter.matches(event)) return;
    await writer.write(encodedEventMessage(event));
    sent++;
  };
  if (backwards) {
    for (let i = index - 1; i >= 0 && sent < maxCount && !writer.isClosed; i--) await send(i);
    return;
  }
  for (let i = index; i < length && sent < maxCount && !writer.isClosed; i++) await send(i);
}

function count(options: ReadOptions): number {
  const requested = BigInt(options.getCount() || '0');
  return requested > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(requested);
}

function startOrEnd(isEnd: boolean): 'start' | 'end' {
  return isEnd ? 'end' : 'start';
}
