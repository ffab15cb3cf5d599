/**
 * Child process of bench/payment-intents.ts: the ceiling. A bare Fastify server on the same
 * runtime that reads the same form body (POST /v1/payment_intents) and answers a
 * PaymentIntent-sized JSON document at once: no auth, no idempotency, no storage. The same
 * stripe-node client drives it, so the ratio of the two is what Coffer's work costs.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});
let n = 0;
app.post('/v1/payment_intents', async (request) => {
  const params = request.body as Record<string, string>;
  const id = `pi_ceiling${(n++).toString(36)}`;
  return {
    id,
    object: 'payment_intent',
    amount: Number(params.amount),
    amount_capturable: 0,
    amount_received: Number(params.amount),
    capture_method: 'automatic',
    client_secret: `${id}_secret_x`,
    confirmation_method: 'automatic',
    created: Math.floor(Date.now() / 1000),
    currency: params.currency,
    customer: null,
    description: null,
    last_payment_error: null,
    latest_charge: `ch_${id}`,
    livemode: false,
    metadata: {},
    next_action: null,
    payment_method: `pm_${id}`,
    payment_method_types: ['card'],
    status: 'succeeded',
  };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${address.port}`, key: 'sk_test_ceiling', pid: process.pid })}\n`,
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
