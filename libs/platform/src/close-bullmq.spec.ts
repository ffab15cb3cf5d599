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

  it('accepts nothing to close', async () => {
    await closeBullmq(null);
    await closeBullmq(undefined);
  });
});
