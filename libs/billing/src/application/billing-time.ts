import { Inject, Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK } from '#libs/platform/src/tokens';
import type { InvoiceObject } from '../domain/invoice.js';
import { subscriptionNow, type SubscriptionRecord } from '../domain/subscription.record.js';
import { BillingStreams } from './billing-streams.js';

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * Billing's notion of "now" for an object: its test clock's frozen time when it has one;
 * otherwise the wall clock, never earlier than a subscription's `_advance` (time does not go
 * backwards for an object that was moved forward).
 */
@Injectable()
export class BillingTime {
  constructor(
    private readonly streams: BillingStreams,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  wall(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  async ofClock(scope: Scope, testClock: string | null): Promise<number> {
    if (!testClock) return this.wall();
    return (await this.streams.loadTestClock(scope, testClock, 'test_clock')).frozen_time;
  }

  async ofSubscription(record: SubscriptionRecord): Promise<number> {
    if (record.subscription.test_clock) return this.ofClock(record, record.subscription.test_clock);
    return subscriptionNow(record, this.wall());
  }

  async ofInvoice(scope: Scope, invoice: InvoiceObject): Promise<number> {
    if (invoice.test_clock) return this.ofClock(scope, invoice.test_clock);
    return Math.max(this.wall(), invoice.status_transitions.finalized_at ?? invoice.created);
  }

  /** A command context at billing time `at` (metadata carries the test clock when one applies). */
  context(
    scope: Scope,
    at: number,
    testClock: string | null,
    base?: Partial<CommandContext>,
  ): CommandContext {
    return {
      ...base,
      accountId: scope.accountId,
      livemode: scope.livemode,
      now: new Date(at * 1000),
      ...(testClock ? { testClock } : {}),
    };
  }
}
