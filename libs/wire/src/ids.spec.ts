import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ID_PREFIXES,
  hasPrefix,
  intentIdOfClientSecret,
  newApiKey,
  newClientSecret,
  newId,
  newIdFor,
  newRequestId,
  newWebhookSecret,
  parseApiKey,
  randomBase62,
} from './ids.js';

describe('ids', () => {
  it('makes prefixed ids with 24 base62 characters', () => {
    const id = newId('cus');
    assert.match(id, /^cus_[0-9A-Za-z]{24}$/);
    assert.match(newIdFor('payment_intent'), /^pi_[0-9A-Za-z]{24}$/);
    assert.match(newIdFor('subscription_schedule'), /^sub_sched_[0-9A-Za-z]{24}$/);
    assert.match(newIdFor('test_clock'), /^clock_[0-9A-Za-z]{24}$/);
  });

  it('covers the resources of the wire doc', () => {
    const expected = [
      'cus',
      'evt',
      'req',
      'pi',
      'pm',
      'ch',
      're',
      'txn',
      'seti',
      'we',
      'prod',
      'price',
      'sub',
      'si',
      'in',
      'ii',
      'clock',
    ];
    const prefixes = new Set<string>(Object.values(ID_PREFIXES));
    for (const prefix of expected) assert.ok(prefixes.has(prefix), prefix);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('evt')));
    assert.equal(ids.size, 10_000);
  });

  it('draws every character of the alphabet about equally often (no modulo bias)', () => {
    // 62 × 4,000 draws; with modulo bias the first 8 characters would come up ~25% more often.
    const sample = randomBase62(62 * 4000);
    const counts = new Map<string, number>();
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 62);
    const low = [...'01234567'].reduce((s, c) => s + counts.get(c)!, 0) / 8;
    const high = [...'uvwxyz'].reduce((s, c) => s + counts.get(c)!, 0) / 6;
    // Expected 4,000 each; sd ≈ 63, means of 6–8 columns have sd ≈ 25. Bias would give ~1,000 apart.
    assert.ok(Math.abs(low - high) < 300, `low=${low} high=${high}`);
  });

  it('makes request ids like Stripe: req_ + 14', () => {
    assert.match(newRequestId(), /^req_[0-9A-Za-z]{14}$/);
  });

  it('makes client secrets that lead back to their intent', () => {
    const pi = newId('pi');
    const secret = newClientSecret(pi);
    assert.match(secret, /^pi_[0-9A-Za-z]{24}_secret_[0-9A-Za-z]{25}$/);
    assert.equal(intentIdOfClientSecret(secret), pi);
    const seti = newId('seti');
    assert.equal(intentIdOfClientSecret(newClientSecret(seti)), seti);
    assert.equal(intentIdOfClientSecret('pi_abc'), null);
    assert.equal(intentIdOfClientSecret('cus_abc_secret_x'), null);
  });

  it('makes API keys of Stripe length and reads their kind and mode back', () => {
    const sk = newApiKey('secret', false);
    assert.match(sk, /^sk_test_[0-9A-Za-z]{99}$/);
    assert.equal(sk.length, 107);
    assert.deepEqual(parseApiKey(sk), { kind: 'secret', livemode: false });
    assert.deepEqual(parseApiKey(newApiKey('publishable', true)), { kind: 'publishable', livemode: true });
    assert.deepEqual(parseApiKey(newApiKey('restricted', false)), { kind: 'restricted', livemode: false });
    assert.equal(parseApiKey('sk_prod_abc'), null);
    assert.equal(parseApiKey('Bearer sk_test_abc'), null);
  });

  it('makes webhook secrets', () => {
    assert.match(newWebhookSecret(), /^whsec_[0-9A-Za-z]{32}$/);
  });

  it('checks prefixes', () => {
    assert.ok(hasPrefix(newId('cus'), 'cus'));
    assert.ok(!hasPrefix(newId('cus'), 'cu'));
    assert.ok(!hasPrefix('cus_', 'cus'));
    assert.ok(!hasPrefix("cus_x'; drop table", 'cus'));
    assert.ok(hasPrefix('sub_sched_abc', 'sub_sched'));
  });
});
