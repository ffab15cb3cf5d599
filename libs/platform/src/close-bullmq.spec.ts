import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeBullmq } from './close-bullmq.js';

describe('closeBullmq', () => {
  it('waits for a close that finishes, and cuts nothing', async () => {
    const calls: string[] = [];
    await closeBullmq({
      close: async () => void calls.push('close'),
      disconnect: async () => void calls.push('disconnect'),
    });
    assert.deepEqual(calls, ['close']);
  });

  it('cuts the connections of a close that never finishes, after the timeout', async () => {
    const calls: string[] = [];
    await closeBullmq(
      {
        close: () => {
          calls.push('close');
          return new Promise<void>(() => {});
        },
        disconnect: async () => void calls.push('disconnect'),
      },
      20,
    );
    assert.deepEqual(calls, ['close', 'disconnect']);
  });

  it('returns even when cutting the connections never finishes either', async () => {
    const calls: string[] = [];
    const started = Date.now();
    await closeBullmq(
      {
        close: () => {
          calls.push('close');
          return new Promise<void>(() => {});
        },
        disconnect: () => {
          calls.push('disconnect');
          return new Promise<void>(() => {});
        },
      },
      20,
    );
    assert.deepEqual(calls, ['close', 'disconnect']);
    assert.ok(Date.now() - started < 1_000);
  });

  it('accepts nothing to close', async () => {
    await closeBullmq(null);
    await closeBullmq(undefined);
  });
});
