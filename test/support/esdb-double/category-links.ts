import type { InMemoryLog } from './log.js';

/**
 * Imitates EventStoreDB's standard `$by_category` projection: shortly after each user event is
 * written, a link event (type `$>`, data `<revision>@<stream>`) is appended to `$ce-<category>`,
 * where the category is the stream name before its first `-`.
 *
 * Why the double does this: on a real server with standard projections running, `$all` is full
 * of such system events interleaved with user events. Writing them here makes every test that
 * runs against the double exercise the adapter's handling of system events (skipping them in
 * readAll, headPosition and subscriptions), instead of only seeing a log of user events.
 */
export function emitCategoryLinks(log: InMemoryLog): () => void {
  let linked = 0;
  let scheduled = false;
  const linkPending = () => {
    scheduled = false;
    const end = log.length;
    for (; linked < end; linked++) {
      const event = log.at(linked);
      if (event.type.startsWith('$') || event.streamName.startsWith('$')) continue;
      const dash = event.streamName.indexOf('-');
      if (dash <= 0) continue;
      log.append(`$ce-${event.streamName.slice(0, dash)}`, { kind: 'any' }, [
        {
          id: crypto.randomUUID(),
          type: '$>',
          contentType: 'application/octet-stream',
          data: Buffer.from(`${event.revision}@${event.streamName}`, 'utf8'),
          customMetadata: new Uint8Array(),
        },
      ]);
    }
  };
  return log.onAppend(() => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(linkPending);
  });
}
