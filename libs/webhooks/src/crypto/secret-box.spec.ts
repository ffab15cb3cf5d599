import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox, newSecretKey, parseSecretKey } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('seals without revealing the secret and opens it again', () => {
    const sealed = box.seal('whsec_abc123');
    assert.ok(!sealed.includes('whsec'));
    assert.notEqual(box.seal('whsec_abc123'), sealed, 'a fresh nonce every time');
    assert.equal(box.open(sealed), 'whsec_abc123');
  });

  it('refuses tampered ciphertexts and secrets sealed under another key', () => {
    const sealed = box.seal('whsec_abc123');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4]!, 'base64url');
    flipped[0]! ^= 1;
    parts[4] = flipped.toString('base64url');
    assert.throws(() => box.open(parts.join('.')));
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed), /sealed under key/);
  });

  it('reads keys as hex or base64 and refuses other lengths', () => {
    const key = parseSecretKey(newSecretKey());
    assert.equal(key?.length, 32);
    assert.equal(parseSecretKey('ab'.repeat(32))?.length, 32);
    assert.equal(parseSecretKey('too-short'), null);
    assert.equal(parseSecretKey(randomBytes(16).toString('base64')), null);
  });
});
