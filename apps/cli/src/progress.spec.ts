/** The replay/verify progress output, on a fake clock and a stream that records what is written. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, LINE_INTERVAL_MS, Progress, type ProgressStream } from './progress.js';

const START = 1_767_225_600_000;

function fakes(isTTY: boolean) {
  let now = START;
  const written: string[] = [];
  const stream: ProgressStream = { isTTY, write: (text: string) => written.push(text) };
  return {
    stream,
    written,
    clock: () => now,
    advance: (ms: number) => (now += ms),
  };
}

describe('Progress', () => {
  it('off a terminal: a line every LINE_INTERVAL_MS with bar, percentage, events/s and ETA, then a final line', () => {
    const { stream, written, clock, advance } = fakes(false);
    const progress = new Progress('replay customers', { events: 40_000 }, stream, clock);

    progress.update(0);
    advance(1_000);
    progress.update(5_000); // within the interval: not written
    advance(LINE_INTERVAL_MS - 1_000);
    progress.update(10_000); // 10,000 events in 2 s: 5,000/s; 30,000 to go: 6 s
    advance(6_000);
    progress.finish(40_000);

    assert.deepEqual(written, [
      'replay customers  [..............................] 0.0%  0 events  0 events/s  ETA —\n',
      'replay customers  [########......................] 25.0%  10,000 events  5,000 events/s  ETA 6s\n',
      'replay customers  [##############################] 100.0%  40,000 events  5,000 events/s  ETA 0s\n',
    ]);
  });

  it('on a terminal: every update redraws the same line, and finish ends it', () => {
    const { stream, written, clock, advance } = fakes(true);
    const progress = new Progress('verify events', { events: 1_000_000 }, stream, clock);

    advance(500);
    progress.update(25_000); // 50,000/s; 975,000 to go: 19.5 s → 20 s
    advance(500);
    progress.update(50_000); // 50,000/s; 950,000 to go: 19 s
    advance(1_000);
    // The log ended sooner than counted at the start (a count is a snapshot): the end is the end.
    progress.finish(60_000);

    assert.deepEqual(written, [
      '\rverify events  [#.............................] 2.5%  25,000 events  50,000 events/s  ETA 20s\x1b[K',
      '\rverify events  [##............................] 5.0%  50,000 events  50,000 events/s  ETA 19s\x1b[K',
      '\rverify events  [##############################] 100.0%  60,000 events  30,000 events/s  ETA 0s\x1b[K\n',
    ]);
  });

  it('without a count (EventStoreDB): the share of the log positions passed gives the bar and ETA', () => {
    const { stream, written, clock, advance } = fakes(false);
    // Positions as EventStoreDB's are: {commit, prepare} packed, the commit a log offset.
    const at = (commit: bigint) => (commit << 64n) | commit;
    const progress = new Progress('replay customers', { position: at(8_000_000n) }, stream, clock);
    advance(LINE_INTERVAL_MS);
    progress.update(1_000, at(2_000_000n)); // a quarter of the log in 2 s: 6 s to go
    advance(6_000);
    progress.finish(4_000);
    assert.deepEqual(written, [
      'replay customers  [########......................] 25.0%  1,000 events  500 events/s  ETA 6s\n',
      'replay customers  [##############################] 100.0%  4,000 events  500 events/s  ETA 0s\n',
    ]);
  });

  it('on an empty log (no goal): events and events/s only', () => {
    const { stream, written, clock, advance } = fakes(false);
    const progress = new Progress('replay customers', null, stream, clock);
    advance(4_000);
    progress.finish(0);
    assert.deepEqual(written, ['replay customers  0 events  0 events/s\n']);
  });

  it('formats an ETA in seconds, or minutes and seconds', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59.4), '59s');
    assert.equal(formatDuration(125), '2m05s');
    assert.equal(formatDuration(3_600), '60m00s');
    assert.equal(formatDuration(-3), '0s');
  });
});
