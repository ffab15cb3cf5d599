/**
 * Child process of bench/customers.ts: the ceiling. A bare Fastify server that reads the same
 * form body and answers a Customer-sized JSON document at once (POST /v1/customers, GET
 * /v1/customers/:id): no auth, no idempotency, no storage. The same stripe-node client drives
 * it, so the ratio of the two is what Coffer's work costs.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});
let n = 0;
const customer = (id: string, email: string | null) => ({
  id,
  object: 'customer',
  address: null,
  balance: 0,
  created: Math.floor(Date.now() / 1000),
  currency: null,
  default_source: null,
  delinquent: false,
  description: null,
  discount: null,
  email,
  invoice_prefix: null,
  invoice_settings: {
    custom_fields: null,
    default_payment_method: null,
    footer: null,
    rendering_options: null,
  },
  livemode: false,
  metadata: {},
  name: null,
  next_invoice_sequence: 1,
  phone: null,
  preferred_locales: [],
  shipping: null,
  tax_exempt: 'none',
  test_clock: null,
});
app.post('/v1/customers', async (request) =>
  customer(`cus_ceiling${(n++).toString(36)}`, (request.body as Record<string, string>).email ?? null),
);
app.get('/v1/customers/:id', async (request) =>
  customer((request.params as { id: string }).id, 'bench@example.com'),
);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${address.port}`, key: 'sk_test_ceiling', pid: process.pid })}\n`,
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
