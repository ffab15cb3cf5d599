import type { FilterOptions } from './proto.js';
import type { StoredEvent } from './log.js';

/** Default number of events scanned between checkpoints when the client sends `count` as window. */
const DEFAULT_CHECKPOINT_WINDOW = 32;

export interface EventFilter {
  matches(event: StoredEvent): boolean;
  /** Scanned events between two Checkpoint messages. */
  checkpointEvery: number;
}

/**
 * Server-side filter of a `$all` read or subscription: on event type or stream name, by regular
 * expression or by prefixes, as `ReadReq.Options.FilterOptions` describes.
 */
export function toEventFilter(options: FilterOptions): EventFilter {
  const onType = options.hasEventType();
  const expression = onType ? options.getEventType() : options.getStreamIdentifier();
  if (!expression) throw new Error('filter without an expression');
  const regex = expression.getRegex();
  const prefixes = expression.getPrefixList();
  const pattern = regex ? new RegExp(regex) : null;
  const test = pattern
    ? (value: string) => pattern.test(value)
    : (value: string) => prefixes.some((prefix) => value.startsWith(prefix));
  const window = options.hasMax() ? options.getMax() : DEFAULT_CHECKPOINT_WINDOW;
  const multiplier = Math.max(1, options.getCheckpointintervalmultiplier());
  return {
    matches: (event) => test(onType ? event.type : event.streamName),
    checkpointEvery: Math.max(1, window * multiplier),
  };
}

export const NO_FILTER: EventFilter = { matches: () => true, checkpointEvery: Number.POSITIVE_INFINITY };
