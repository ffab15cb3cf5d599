import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { newWebhookSecret } from './ids.js';
import { computeSignature, signPayload, verifySignature } from './webhook-signature.js';

const stripe = new Stripe('sk_test_unused');
const payload = JSON.stringify(
  { id: 'evt_1', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', name: 'Zoë' } } },
  null,
  2,
);
const now = () => Math.floor(Date.now() / 1000);

describe('webhook signatures', () => {
  it('are accepted by the real stripe.webhooks.constructEvent', () => {
    const secret = newWebhookSecret();
    const header = signPayload(payload, [secret], now());
    const event = stripe.webhooks.constructEvent(payload, header, secret);
    assert.equal(event.id, 'evt_1');
    assert.equal(event.type, 'customer.created');
    // raw bytes too
    assert.equal(stripe.webhooks.constructEvent(Buffer.from(payload), header, secret).id, 'evt_1');
  });

  it('carry one v1 per active secret, each verifying on its own (rotation)', () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    const t = now();
    const header = signPayload(payload, [oldSecret, newSecret], t);
    assert.match(header, new RegExp(`^t=${t},v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`));
    assert.equal(stripe.webhooks.constructEvent(payload, header, oldSecret).id, 'evt_1');
    assert.equal(stripe.webhooks.constructEvent(payload, header, newSecret).id, 'evt_1');
  });

  it('are rejected by the SDK for another secret, a changed body or an old timestamp', () => {
    const secret = newWebhookSecret();
    const header = signPayload(payload, [secret], now());
    assert.throws(
      () => stripe.webhooks.constructEvent(payload, header, newWebhookSecret()),
      /No signatures found matching/,
    );
    assert.throws(
      () => stripe.webhooks.constructEvent(payload.replace('Zoë', 'Zoe'), header, secret),
      /No signatures found matching/,
    );
    const old = signPayload(payload, [secret], now() - 301);
    assert.throws(() => stripe.webhooks.constructEvent(payload, old, secret), /tolerance zone/);
  });

  it('agree with the SDK test-header helper and with our own verifier', () => {
    const secret = newWebhookSecret();
    const t = now();
    const sdkHeader = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: t });
    assert.equal(signPayload(payload, [secret], t), sdkHeader);
    assert.equal(verifySignature(payload, sdkHeader, secret, t), true);
    assert.equal(verifySignature(payload, sdkHeader, secret, t + 301), false);
    assert.equal(verifySignature(payload + ' ', sdkHeader, secret, t), false);
    assert.equal(verifySignature(payload, `t=${t}`, secret, t), false);
    assert.equal(computeSignature(Buffer.from(payload), secret, t), computeSignature(payload, secret, t));
  });

  it('refuse to sign with no secret or a bad timestamp', () => {
    assert.throws(() => signPayload(payload, [], now()));
    assert.throws(() => signPayload(payload, ['whsec_x'], 1.5));
  });
});
