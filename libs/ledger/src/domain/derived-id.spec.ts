import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { derivedBalanceTransactionId, derivedId, ledgerEntryId } from './derived-id.js';

/** The definition the ids were first computed with (BigInt arithmetic): ids must never change. */
function reference(prefix: string, domainEventId: string, purpose: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = BigInt(`0x${createHash('sha256').update(`${prefix}:${domainEventId}:${purpose}`).digest('hex')}`);
  let body = '';
  for (let i = 0; i < 24; i++) {
    body += alphabet[Number(n % 62n)];
    n /= 62n;
  }
  return `${prefix}_${body}`;
}

describe('derivedId', () => {
  it('is the same id as ever for the same prefix, domain event and purpose', () => {
    for (let i = 0; i < 5000; i++) {
      const id = randomUUID();
      assert.equal(derivedId('le', id, `entry:${i % 5}`), reference('le', id, `entry:${i % 5}`));
    }
    const fixed = '00000000-0000-4000-8000-000000000000';
    assert.equal(ledgerEntryId(fixed, 2), reference('le', fixed, 'entry:2'));
    assert.equal(derivedBalanceTransactionId(fixed), reference('txn', fixed, 'balance_transaction'));
    assert.match(ledgerEntryId(fixed), /^le_[0-9A-Za-z]{24}$/);
  });
});
