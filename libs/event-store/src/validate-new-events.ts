import { randomUUID } from 'node:crypto';
import { InvalidAppendError } from './errors.js';
import { MAX_EVENT_BYTES, type NewEvent, type StreamName } from './port.js';

/** A NewEvent checked and serialised once, ready for any adapter to write. */
export interface SerializedEvent {
  id: string;
  type: string;
  /** JSON text of data and metadata, exactly as it will be stored. */
  data: string;
  metadata: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a batch before any write: non-empty, each event a uuid id, a type, JSON-serialisable
 * data and metadata, and data + metadata JSON within MAX_EVENT_BYTES (UTF-8). Throws
 * InvalidAppendError naming the stream and the offending event's index.
 */
export function validateNewEvents(stream: StreamName, events: readonly NewEvent[]): SerializedEvent[] {
  if (typeof stream !== 'string' || stream.length === 0)
    throw new InvalidAppendError('stream name must be a non-empty string');
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError(`append to ${stream}: the batch is empty; append at least one event`);
  }
  return events.map((event, index) => {
    const where = `append to ${stream}: event #${index}`;
    const id = event.id ?? randomUUID();
    if (!UUID.test(id)) throw new InvalidAppendError(`${where}: id ${JSON.stringify(id)} is not a uuid`);
    if (typeof event.type !== 'string' || event.type.length === 0)
      throw new InvalidAppendError(`${where}: type is required`);
    if (event.metadata === null || typeof event.metadata !== 'object')
      throw new InvalidAppendError(`${where}: metadata is required`);
    const data = toJson(event.data, `${where} (${event.type}): data`);
    const metadata = toJson(event.metadata, `${where} (${event.type}): metadata`);
    const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    if (bytes > MAX_EVENT_BYTES) {
      throw new InvalidAppendError(
        `${where} (${event.type}) is ${bytes} bytes of JSON; the limit is ${MAX_EVENT_BYTES}`,
      );
    }
    return { id: id.toLowerCase(), type: event.type, data, metadata };
  });
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidAppendError(`${what} is not JSON-serialisable: ${(error as Error).message}`);
  }
  if (json === undefined) throw new InvalidAppendError(`${what} is not JSON-serialisable`);
  return json;
}
