import { Inject, Injectable } from '@nestjs/common';
import type { Scope } from '#libs/read-models/src/documents';
import { findDocument } from '#libs/read-models/src/documents';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { DomainError } from '#libs/kernel/src/domain-error';

/** A customer named by a payment must exist (and not be deleted) in the caller's account and mode. */
@Injectable()
export class CustomerCheck {
  constructor(@Inject(READ_SQL) private readonly sql: SqlExecutor) {}

  async assertExists(scope: Scope, id: string, param = 'customer'): Promise<void> {
    const doc = await findDocument<{ deleted?: boolean }>(this.sql, 'customers', scope, id);
    if (!doc || doc.deleted)
      throw new DomainError('not_found', 'resource_missing', `No such customer: '${id}'`, { param });
  }
}
