import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { AccountCreated } from './domain/account.events.js';

export interface AccountDoc {
  id: string;
  object: 'account';
  created: number;
  name: string | null;
}

/** accounts: one row per account (tenant). Its keys are in api_keys. */
export const accountsProjector = defineDocumentProjector<AccountDoc>({
  name: 'accounts',
  version: 1,
  table: 'accounts',
  columns: { created: 'bigint', name: 'text' },
  eventTypes: ['AccountCreated'],
  rowIdOf: (event) => (event.type === 'AccountCreated' ? (event.data as AccountCreated['data']).id : null),
  evolve(_doc, event) {
    const { id, created, name } = event.data as AccountCreated['data'];
    return { id, object: 'account', created, name: name ?? null };
  },
  columnsOf: (doc) => ({ created: doc.created, name: doc.name }),
});
