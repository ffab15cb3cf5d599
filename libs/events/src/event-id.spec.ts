import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { stripeEventId } from './event-id.js';

/** The definition the ids were first computed with (BigInt arithmetic): ids must never change. */
function reference(domainEventId: string, index: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digest = createHash('sha256').update(`${domainEventId}:${index}`).digest();
  let body = '';
  let n = BigInt(`0x${digest.toString('hex')}`);
  for (let i = 0; i < 24; i++) {
    body += alphabet[Number(n % 62n)];
    n /= 62n;
  }
  return `evt_${body}`;
}

describe('stripeEventId', () => {
  it('is the same id as ever for the same domain event and index', () => {
    assert.equal(
      stripeEventId('00000000-0000-4000-8000-000000000000', 0),
      reference('00000000-0000-4000-8000-000000000000', 0),
    );
    for (let i = 0; i < 5000; i++) {
      const id = randomUUID();
      assert.equal(stripeEventId(id, i % 7), reference(id, i % 7));
    }
  });

  it('has 24 base-62 characters after evt_', () => {
    assert.match(stripeEventId(randomUUID(), 1), /^evt_[0-9A-Za-z]{24}$/);
  });
});
