import { Inject, Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import type { DeletedCustomerObject } from '#libs/customers/src/domain/customer';
import { DomainError } from '#libs/kernel/src/domain-error';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { BillingEngine } from './billing-engine.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerFacts } from './customer-facts.js';

interface Scope {
  accountId: string;
  livemode: boolean;
}

/** Statuses of subscriptions that have ended: nothing is left to cancel. */
const ENDED = ['canceled', 'incomplete_expired'];

/**
 * Deleting customers as Stripe does: each of their subscriptions that has not ended is
 * canceled now (no proration, no final invoice; customer.subscription.deleted), then the
 * customer is deleted (customer.deleted). Used by `DELETE /v1/customers/:id` and by the
 * deletion of a test clock. Subscriptions go first, so an operation cut short by a crash can
 * be repeated: what it already canceled is skipped.
 */
@Injectable()
export class CustomerDeletion {
  constructor(
    private readonly streams: BillingStreams,
    private readonly engine: BillingEngine,
    private readonly time: BillingTime,
    private readonly customers: CustomerFacts,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  /** `DELETE /v1/customers/:id`: a customer on a test clock is deleted at the clock's time. */
  async delete(request: CommandContext, id: string): Promise<DeletedCustomerObject> {
    const scope = { accountId: request.accountId, livemode: request.livemode };
    const customer = await this.customers.find(scope, id, 'id');
    const context = customer.test_clock
      ? this.time.context(
          scope,
          await this.time.ofClock(scope, customer.test_clock),
          customer.test_clock,
          request,
        )
      : request;
    const positions = new Positions();
    await this.cancelSubscriptions(scope, await this.subscriptionsOf(scope, id), request, positions);
    await this.streams.customer(
      { type: 'DeleteCustomer', id, accountId: scope.accountId, livemode: scope.livemode },
      context,
      positions,
    );
    await this.streams.settle(positions);
    // A subscription created while the customer was being deleted (it found the customer
    // still there) is canceled too; the read models now show everything written before it.
    const stragglers = await this.subscriptionsOf(scope, id);
    if (stragglers.length > 0) {
      const late = new Positions();
      await this.cancelSubscriptions(scope, stragglers, request, late);
      await this.streams.settle(late);
    }
    return { id, object: 'customer', deleted: true };
  }

  /**
   * Cancel each subscription now, at its own billing time (its test clock's, or the wall
   * clock no earlier than its `_advance`), as a DELETE of the subscription without
   * `invoice_now` or `prorate` would. Ended (or meanwhile ended) subscriptions are skipped.
   */
  async cancelSubscriptions(
    scope: Scope,
    ids: readonly string[],
    request: CommandContext,
    positions: Positions,
  ): Promise<void> {
    for (const id of ids) {
      await this.engine.exclusive(id, async () => {
        const record = await this.streams.loadSubscription(scope, id);
        if (ENDED.includes(record.subscription.status)) return;
        const at = await this.time.ofSubscription(record);
        const state = await this.streams.subscription(
          {
            type: 'CancelSubscription',
            id,
            ...scope,
            at,
            reason: 'cancellation_requested',
            comment: null,
            feedback: null,
          },
          this.time.context(scope, at, record.subscription.test_clock, request),
          positions,
        );
        if (state.status === 'exists') await this.engine.stopCollection(state, at, positions);
      });
    }
  }

  /** Delete customers whose subscriptions have ended; one deleted in the meantime is skipped. */
  async deleteCustomers(
    scope: Scope,
    ids: readonly string[],
    context: CommandContext,
    positions: Positions,
  ): Promise<void> {
    for (const id of ids) {
      try {
        await this.streams.customer(
          { type: 'DeleteCustomer', id, accountId: scope.accountId, livemode: scope.livemode },
          context,
          positions,
        );
      } catch (error) {
        if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
      }
    }
  }

  /** The customer's subscriptions that have not ended. */
  private async subscriptionsOf(scope: Scope, customer: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      `SELECT id FROM subscriptions WHERE account_id = $1 AND livemode = $2 AND customer = $3
         AND status NOT IN ('canceled', 'incomplete_expired') ORDER BY created, id`,
      [scope.accountId, scope.livemode, customer],
    );
    return rows.map((r) => r.id);
  }
}
