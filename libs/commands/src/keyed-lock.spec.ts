import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from './keyed-lock.js';

describe('KeyedLock', () => {
  it('runs tasks of one key one at a time, in order, and forgets idle keys', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      assert.equal(running, 1, 'tasks of one key overlapped');
      log.push(`start ${name}`);
      await sleep(2);
      log.push(`end ${name}`);
      running--;
    };
    await Promise.all([lock.run('a', task('1')), lock.run('a', task('2')), lock.run('a', task('3'))]);
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    await sleep(0);
    assert.equal(lock.size, 0);
  });

  it('lets a failed task release the key', async () => {
    const lock = new KeyedLock();
    await assert.rejects(
      lock.run('a', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await lock.run('a', async () => 42), 42);
  });

  it('runs different keys concurrently', async () => {
    const lock = new KeyedLock();
    let concurrent = 0;
    let peak = 0;
    const task = async () => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      await sleep(5);
      concurrent--;
    };
    await Promise.all([lock.run('a', task), lock.run('b', task)]);
    assert.equal(peak, 2);
  });
});
