/**
 * The card-data rule, checked end to end: after PaymentMethods (and PaymentIntents with inline
 * card data) were made from raw numbers and CVCs, none of those numbers (in any spelling) and
 * none of those CVCs appear in the event log, in any read-model row, or in anything the server
 * logged at trace level. Refused cards (bad Luhn, live number in test mode) count too: a refusal
 * must not echo the number either.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import type { FromPosition } from '#libs/event-store/src/port';
import { TEST_CARDS } from '#libs/payments/src/cards/test-cards';
import { startTestCoffer, rawRequest, type TestAccount, type TestCoffer } from './support/coffer.js';

const YEAR = new Date().getUTCFullYear() + 3;
/** Unusual CVCs, so that finding one as a JSON string or a form value means it was kept. */
const CVC = '947';
const AMEX_CVC = '8361';
const REAL_NUMBER = '4012888888881881';
const BAD_LUHN = '4242424242424241';

const spellings = (number: string) => [
  number,
  number.replace(/(\d{4})(?=\d)/g, '$1 '),
  number.replace(/(\d{4})(?=\d)/g, '$1-'),
];
const cvcOf = (number: string) => (/^3[47]/.test(number) ? AMEX_CVC : CVC);

class LineCollector extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
}

/** Every place a secret could have landed, as text; each found secret with where it was. */
function findSecrets(haystacks: Array<{ where: string; text: string }>, numbers: string[]): string[] {
  const found: string[] = [];
  for (const { where, text } of haystacks) {
    for (const number of numbers)
      for (const spelling of spellings(number))
        if (text.includes(spelling)) found.push(`${spelling} in ${where}`);
    for (const form of [`"${CVC}"`, `=${CVC}`, `"${AMEX_CVC}"`, `=${AMEX_CVC}`, `"cvc"`])
      if (text.includes(form)) found.push(`${form} in ${where}`);
  }
  return found;
}

for (const store of ['pglite', 'postgres'] as const) {
  describe(`card numbers and CVCs are never stored or logged (${store})`, () => {
    let coffer: TestCoffer;
    let account: TestAccount;
    let stripe: Stripe;
    const logs = new LineCollector();
    const used = new Set<string>();

    before(async () => {
      coffer = await startTestCoffer({ store, env: { LOG_LEVEL: 'trace' }, logDestination: logs });
      account = await coffer.newAccount();
      stripe = coffer.stripe(account.secretKey);
    });
    after(async () => coffer.close());

    it('makes PaymentMethods and SetupIntents from raw card data, accepted and refused', async () => {
      const customer = await stripe.customers.create({});
      for (const card of TEST_CARDS) {
        for (const number of spellings(card.number)) {
          const pm = await stripe.paymentMethods.create({
            type: 'card',
            card: { number, exp_month: 7, exp_year: YEAR, cvc: cvcOf(card.number) },
          });
          assert.equal(pm.card?.last4, card.number.slice(-4));
        }
        used.add(card.number);
        const seti = await stripe.setupIntents.create({
          customer: customer.id,
          payment_method_data: {
            type: 'card',
            card: { number: card.number, exp_month: 7, exp_year: YEAR, cvc: cvcOf(card.number) },
          },
        } as unknown as Stripe.SetupIntentCreateParams);
        await stripe.setupIntents
          .confirm(seti.id)
          .catch((error: Stripe.errors.StripeError) => assert.equal(error.statusCode, 402));
      }
      // Curl-style: the raw form body, and a JSON body.
      const form = `type=card&card[number]=${encodeURIComponent('4242 4242 4242 4242')}&card[exp_month]=7&card[exp_year]=${YEAR}&card[cvc]=${CVC}`;
      assert.equal(
        (
          await rawRequest(coffer.url, 'POST', '/v1/payment_methods', {
            headers: { Authorization: `Bearer ${account.secretKey}` },
            body: form,
          })
        ).status,
        200,
      );
      const json = JSON.stringify({
        type: 'card',
        card: { number: '5555555555554444', exp_month: 7, exp_year: YEAR, cvc: CVC },
      });
      const viaJson = await rawRequest(coffer.url, 'POST', '/v1/payment_methods', {
        headers: { Authorization: `Bearer ${account.publishableKey}`, 'Content-Type': 'application/json' },
        body: json,
      });
      assert.equal(viaJson.status, 200);
      // Refusals: the number is read, then refused; it must not be echoed anywhere.
      await assert.rejects(
        stripe.paymentMethods.create({
          type: 'card',
          card: { number: BAD_LUHN, exp_month: 7, exp_year: YEAR, cvc: CVC },
        }),
        { statusCode: 402 },
      );
      await assert.rejects(
        stripe.paymentMethods.create({
          type: 'card',
          card: { number: REAL_NUMBER, exp_month: 7, exp_year: YEAR, cvc: CVC },
        }),
        { statusCode: 402 },
      );
      await assert.rejects(
        stripe.paymentMethods.create({
          type: 'card',
          card: { number: '4242424242424242', exp_month: 7, exp_year: YEAR, cvc: '94' },
        }),
        { statusCode: 402 },
      );
      const live = coffer.stripe(account.liveSecretKey);
      await live.paymentMethods.create({
        type: 'card',
        card: { number: REAL_NUMBER, exp_month: 7, exp_year: YEAR, cvc: CVC },
      });
      used.add(BAD_LUHN).add(REAL_NUMBER);
    });

    it('makes PaymentIntents with payment_method_data[card][number]', async () => {
      const outcomes: Array<string | number> = [];
      for (const number of ['4111111111111111', '4000000000000002', '378282246310005']) {
        outcomes.push(
          await stripe.paymentIntents
            .create({
              amount: 1234,
              currency: 'usd',
              confirm: true,
              payment_method_data: {
                type: 'card',
                card: { number, exp_month: 7, exp_year: YEAR, cvc: cvcOf(number) },
              },
            } as unknown as Stripe.PaymentIntentCreateParams)
            .then(
              (pi) => pi.status,
              (error: Stripe.errors.StripeError) => error.statusCode!,
            ),
        );
        used.add(number);
      }
      assert.deepEqual(outcomes, ['succeeded', 402, 'succeeded']);
    });

    it('finds none of those numbers or CVCs in the event log, the read models or the logs', async () => {
      assert.ok(used.size > TEST_CARDS.length, 'the cards above were used');
      const haystacks: Array<{ where: string; text: string }> = [];

      const events = coffer.handle.infra.eventStore;
      let from: FromPosition = 'start';
      let count = 0;
      for (;;) {
        const batch = await events.readAll(from, 1000);
        if (batch.length === 0) break;
        for (const event of batch)
          haystacks.push({
            where: `event ${event.type} ${event.streamName}`,
            text: JSON.stringify({ data: event.data, metadata: event.metadata }),
          });
        count += batch.length;
        from = batch[batch.length - 1]!.position;
      }
      assert.ok(count > 100, `read the whole log (${count} events)`);

      const sql = coffer.handle.infra.readSql;
      const { rows: tables } = await sql.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      const names = tables.map((t) => t.table_name);
      for (const table of [
        'payment_methods',
        'setup_intents',
        'payment_intents',
        'charges',
        'events',
        'customers',
      ])
        assert.ok(names.includes(table), `${table} is scanned`);
      let rowCount = 0;
      for (const table of names) {
        // The event table's xid8 transaction id renders as a JSON string ("947" is a plausible
        // id in a fresh database): it is not card data, and would match the CVC by accident.
        const { rows } = await sql.query<{ row: string }>(
          `SELECT (to_jsonb(t) - 'transaction_id')::text AS row FROM "${table}" t`,
        );
        for (const { row } of rows) haystacks.push({ where: `table ${table}`, text: row });
        rowCount += rows.length;
      }
      assert.ok(rowCount > 100, `read every read-model row (${rowCount})`);

      assert.ok(logs.lines.length > 50, `captured the server's log lines (${logs.lines.length})`);
      assert.ok(
        logs.lines.some((line) => line.includes('/v1/payment_methods')),
        'the log has the card requests',
      );
      haystacks.push({ where: 'server log', text: logs.lines.join('') });

      assert.deepEqual(findSecrets(haystacks, [...used]), []);
    });

    it('would notice a number or CVC if one were there (the scan itself works)', () => {
      const planted = [
        { where: 'planted', text: JSON.stringify({ card: { number: '4242 4242 4242 4242' } }) },
        { where: 'planted', text: `card[cvc]=${CVC}` },
        { where: 'planted', text: JSON.stringify({ cvc: AMEX_CVC }) },
      ];
      assert.deepEqual(findSecrets(planted, ['4242424242424242']), [
        '4242 4242 4242 4242 in planted',
        `=${CVC} in planted`,
        `"${AMEX_CVC}" in planted`,
        '"cvc" in planted',
      ]);
    });
  });
}
