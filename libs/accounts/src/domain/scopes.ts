import { DomainError } from '#libs/kernel/src/domain-error';

/**
 * Permissions of restricted keys (`rk_test_…`/`rk_live_…`): a deliberately small model, one
 * access level per resource group, in the spirit of Stripe's per-resource None/Read/Write.
 *
 *   group       what it covers (the HTTP layer maps each route to one group)
 *   accounts    the account itself (`GET /v1/account`)
 *   customers   customers (and their payment-method attachments, balances, tax ids)
 *   events      events (`GET /v1/events…`)
 *   payments    payment intents, payment methods, setup intents, charges, refunds, balance
 *   billing     products, prices, subscriptions, invoices, coupons, test clocks
 *   webhooks    webhook endpoints
 *   *           every group
 *
 * `write` implies `read`. A key without a scope for a group has no access to it. Scopes are
 * written `group:access`, comma-separated: `customers:write,events:read`.
 *
 * Secret keys may do everything; publishable keys have no scopes (the HTTP layer lets them
 * reach only the few endpoints a browser needs).
 */
export const RESOURCE_GROUPS = [
  'accounts',
  'customers',
  'events',
  'payments',
  'billing',
  'webhooks',
] as const;
export type ResourceGroup = (typeof RESOURCE_GROUPS)[number];
export type ScopeGroup = ResourceGroup | '*';
export type Access = 'read' | 'write';

export interface Scope {
  resource_group: ScopeGroup;
  access: Access;
}

/** Enough for one scope per group at each level; more is a typo or an attack on the parser. */
export const MAX_SCOPES = 32;

const SCOPE_GROUPS: readonly string[] = [...RESOURCE_GROUPS, '*'];
const RANK: Record<Access, number> = { read: 1, write: 2 };

/** `customers:write,events:read` → scopes (validated and normalized). */
export function parseScopes(text: string): Scope[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > MAX_SCOPES) throw invalidScopes(`At most ${MAX_SCOPES} scopes are allowed.`);
  const scopes = parts.map((part) => {
    const [group, access, extra] = part.split(':');
    if (extra !== undefined || group === undefined || access === undefined) {
      throw invalidScopes(`Invalid scope '${part}': write it as group:access, e.g. customers:write.`);
    }
    return { resource_group: group, access } as Scope;
  });
  return normalizeScopes(scopes);
}

/**
 * Validate scopes and put them in one canonical form: at most one scope per group (the
 * strongest), none that a `*` scope already covers, sorted by group. Two scope lists that grant
 * the same thing therefore look the same in events and read models.
 */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  if (scopes.length > MAX_SCOPES) throw invalidScopes(`At most ${MAX_SCOPES} scopes are allowed.`);
  const strongest = new Map<ScopeGroup, Access>();
  for (const scope of scopes) {
    const group = scope?.resource_group as string;
    const access = scope?.access as string;
    if (!SCOPE_GROUPS.includes(group)) {
      throw invalidScopes(`Unknown resource group '${String(group)}' (known: ${SCOPE_GROUPS.join(', ')}).`);
    }
    if (access !== 'read' && access !== 'write') {
      throw invalidScopes(`Invalid access '${String(access)}' for '${group}': use read or write.`);
    }
    const previous = strongest.get(group as ScopeGroup);
    if (!previous || RANK[access] > RANK[previous]) strongest.set(group as ScopeGroup, access);
  }
  const everything = strongest.get('*');
  return [...strongest]
    .filter(([group, access]) => group === '*' || !everything || RANK[access] > RANK[everything])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([resource_group, access]) => ({ resource_group, access }));
}

/** Do these scopes grant `access` to `group`? */
export function scopesAllow(scopes: readonly Scope[], group: ResourceGroup, access: Access): boolean {
  return scopes.some(
    (scope) =>
      (scope.resource_group === group || scope.resource_group === '*') && RANK[scope.access] >= RANK[access],
  );
}

/** `customers:write,events:read`: the text form, for the CLI and logs. */
export function formatScopes(scopes: readonly Scope[]): string {
  return scopes.map((s) => `${s.resource_group}:${s.access}`).join(',');
}

function invalidScopes(message: string): DomainError {
  return new DomainError('invalid', 'parameter_invalid', message, { param: 'scopes' });
}
