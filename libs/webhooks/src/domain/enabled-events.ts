import { DomainError } from '#libs/kernel/src/domain-error';

/** Stripe's limit on `enabled_events` entries. */
export const MAX_ENABLED_EVENTS = 256;
/** Event types Coffer itself adds (`coffer.webhook_test`): never matched by `*`, only named. */
export const EXTENSION_EVENT_PREFIX = 'coffer.';

const EVENT_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

/**
 * Validate and normalize `enabled_events`: `*` or dotted event type names (`customer.created`),
 * duplicates removed, order kept. Coffer does not keep Stripe's full catalogue of types, so
 * any well-formed name is accepted; it simply matches nothing until such events exist.
 */
export function normalizeEnabledEvents(values: readonly string[]): string[] {
  if (values.length === 0) {
    throw new DomainError('invalid', 'parameter_missing', 'Missing required param: enabled_events.', {
      param: 'enabled_events',
    });
  }
  if (values.length > MAX_ENABLED_EVENTS) {
    throw new DomainError(
      'invalid',
      'parameter_invalid',
      `enabled_events can have at most ${MAX_ENABLED_EVENTS} entries.`,
      { param: 'enabled_events' },
    );
  }
  values.forEach((value, index) => {
    if (value !== '*' && !EVENT_TYPE.test(value)) {
      throw new DomainError(
        'invalid',
        'parameter_invalid',
        `Invalid enabled_events[${index}]: '${value}' is not an event type (use '*' or a name such as 'customer.created').`,
        {
          param: `enabled_events[${index}]`,
        },
      );
    }
  });
  return [...new Set(values)];
}

/** Does an endpoint listening for `enabledEvents` want an event of this type? */
export function matchesEnabledEvents(enabledEvents: readonly string[], type: string): boolean {
  if (enabledEvents.includes(type)) return true;
  return enabledEvents.includes('*') && !type.startsWith(EXTENSION_EVENT_PREFIX);
}

/**
 * The same rule in SQL (PostgreSQL): `enabledEvents` a `jsonb` array expression, `type` a text
 * expression, both trusted SQL. The spec checks it against matchesEnabledEvents.
 */
export function enabledEventsMatchSql(enabledEvents: string, type: string): string {
  return `(${enabledEvents} ? ${type} OR (${enabledEvents} ? '*' AND ${type} NOT LIKE '${EXTENSION_EVENT_PREFIX}%'))`;
}
