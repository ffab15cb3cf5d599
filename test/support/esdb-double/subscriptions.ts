import { randomUUID } from 'node:crypto';
import type { InMemoryLog, LogPosition } from './log.js';
import type { EventFilter } from './filter.js';
import { caughtUpMessage, checkpointMessage, confirmationMessage, encodedEventMessage } from './messages.js';
import type { ResponseWriter } from './response-writer.js';

/**
 * Catch-up subscriptions, as the Read call serves them when the request carries
 * `SubscriptionOptions`: a Confirmation first, then every matching event from the start point,
 * a CaughtUp message when the reader reaches the end of the log, then live events as they are
 * appended, until the client cancels. Filtered `$all` subscriptions also send a Checkpoint every
 * `checkpointEvery` scanned events and just before CaughtUp.
 *
 * Start points are exclusive, as on the server: from a position or revision, delivery starts
 * with the first event after it.
 */

export async function subscribeToAll(
  log: InMemoryLog,
  writer: ResponseWriter,
  start: { from: 'start' | 'end' } | { after: LogPosition },
  filter: EventFilter,
  filtered: boolean,
): Promise<void> {
  let index = 'from' in start ? (start.from === 'start' ? 0 : log.length) : log.indexFrom(start.after, false);
  await writer.write(confirmationMessage(randomUUID()));
  let caughtUp = false;
  let scannedSinceCheckpoint = 0;
  let lastScanned: bigint | null = null;
  while (!writer.isClosed) {
    if (index < log.length) {
      const event = log.at(index++);
      lastScanned = event.position;
      scannedSinceCheckpoint++;
      if (filter.matches(event)) await writer.write(encodedEventMessage(event));
      if (filtered && scannedSinceCheckpoint >= filter.checkpointEvery) {
        scannedSinceCheckpoint = 0;
        await writer.write(checkpointMessage(event.position));
      }
      continue;
    }
    if (!caughtUp) {
      caughtUp = true;
      if (filtered && lastScanned !== null) await writer.write(checkpointMessage(lastScanned));
      await writer.write(caughtUpMessage());
      continue;
    }
    await writer.until((wake) => log.onAppend(wake));
  }
}

export async function subscribeToStream(
  log: InMemoryLog,
  writer: ResponseWriter,
  streamName: string,
  start: { from: 'start' | 'end' } | { after: bigint },
): Promise<void> {
  const initialLength = log.stream(streamName)?.length ?? 0;
  let next = 'from' in start ? (start.from === 'start' ? 0 : initialLength) : Number(start.after) + 1;
  await writer.write(confirmationMessage(randomUUID()));
  let caughtUp = false;
  while (!writer.isClosed) {
    const events = log.stream(streamName) ?? [];
    if (next < events.length) {
      await writer.write(encodedEventMessage(events[next++]!));
      continue;
    }
    if (!caughtUp) {
      caughtUp = true;
      await writer.write(caughtUpMessage());
      continue;
    }
    await writer.until((wake) => log.onAppend(wake));
  }
}
