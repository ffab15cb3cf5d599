import { Inject, Injectable } from '@nestjs/common';
import type { Scope } from '#libs/read-models/src/documents';
import { findDocument } from '#libs/read-models/src/documents';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { DomainError } from '#libs/kernel/src/domain-error';

/** Customers whose test clock this process remembers (a customer's clock never changes). */
const MAX_REMEMBERED_CUSTOMERS = 10_000;

interface CustomerDoc {
  deleted?: boolean;
  test_clock?: string | null;
}

/**
 * A customer named by a payment must exist (and not be deleted) in the caller's account and
 * mode; the test clock it lives on decides the payment's time (PaymentTime).
 */
@Injectable()
export class CustomerCheck {
  private readonly clocks = new Map<string, string | null>();

  constructor(@Inject(READ_SQL) private readonly sql: SqlExecutor) {}

  /** Resolves to the customer's test clock (null: none). */
  async assertExists(scope: Scope, id: string, param = 'customer'): Promise<{ testClock: string | null }> {
    const doc = await findDocument<CustomerDoc>(this.sql, 'customers', scope, id);
    if (!doc || doc.deleted)
      throw new DomainError('not_found', 'resource_missing', `No such customer: '${id}'`, { param });
    const testClock = doc.test_clock ?? null;
    this.remember(scope, id, testClock);
    return { testClock };
  }

  /**
   * The test clock the customer lives on (null: none, or no such customer). Set at creation
   * and never changed (Stripe: a customer cannot leave its clock), so it is remembered.
   */
  async testClockOf(scope: Scope, id: string): Promise<string | null> {
    const key = keyOf(scope, id);
    const known = this.clocks.get(key);
    if (known !== undefined) return known;
    const doc = await findDocument<CustomerDoc>(this.sql, 'customers', scope, id);
    if (!doc || doc.deleted) return null;
    const testClock = doc.test_clock ?? null;
    this.remember(scope, id, testClock);
    return testClock;
  }

  private remember(scope: Scope, id: string, testClock: string | null): void {
    if (this.clocks.size >= MAX_REMEMBERED_CUSTOMERS) this.clocks.clear();
    this.clocks.set(keyOf(scope, id), testClock);
  }
}

const keyOf = (scope: Scope, id: string) => `${scope.accountId}/${scope.livemode}/${id}`;
