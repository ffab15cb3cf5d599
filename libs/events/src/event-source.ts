import type { RecordedEvent } from '#libs/event-store/src/port';

export type StripeObject = Record<string, unknown> & { id: string; object: string };

/**
 * How one resource's domain events become Stripe `Event`s. `evolve` is the resource's own pure
 * evolution of its Stripe object (the one its read model uses), so the snapshot in an event is
 * exactly what the API showed at that moment.
 */
export interface StripeEventSource {
  /** Domain event types this source understands. */
  readonly eventTypes: readonly string[];
  /**
   * Of those, the types that create their object (appended to a new stream, with a new id): there
   * is no snapshot before one, so a batch in which an object's first event is one of these does
   * not read its snapshot. Declare only what holds.
   */
  readonly createdBy?: readonly string[];
  /**
   * Its objects are touched by most batches (an account's Balance: every capture moves it). The
   * events projector keeps each one's last written snapshot in memory and, instead of reading it
   * every batch, has its write check that the table still holds that snapshot; a batch that
   * finds otherwise writes nothing, reads the snapshots and projects again in its transaction.
   */
  readonly hot?: boolean;
  /** The Stripe object the event is about. */
  objectIdOf(event: RecordedEvent): string;
  /**
   * The object after the event (null once it no longer exists). `context` is the source's
   * private context for this event as it was before it (see `context`), null without one.
   */
  evolve(object: StripeObject | null, event: RecordedEvent, context?: unknown): StripeObject | null;
  /**
   * Optional private state for objects whose change the event alone does not tell: the Balance
   * moves by amounts that earlier events of the same payment carried (a refund failing names
   * only the refund). Kept per key beside the snapshots, never rendered.
   */
  readonly context?: StripeEventContext;
  /**
   * The Stripe events this domain event produces, given the object before and after it.
   * Most produce one; some none (internal facts) or several (a capture touches two objects).
   */
  stripeEventsOf(
    event: RecordedEvent,
    before: StripeObject | null,
    after: StripeObject | null,
  ): StripeEventDraft[];
}

export interface StripeEventContext {
  /** Which context an event reads and evolves (null: none). Keys share the snapshots' id space: prefix them. */
  keyOf(event: RecordedEvent): string | null;
  evolve(context: unknown, event: RecordedEvent): unknown;
  /**
   * Event types (of any source) that begin a key's context: nothing comes before one (the first
   * event of a new stream), so a batch in which such an event precedes the key's first use does
   * not read it. `keyOf` must give the key for these events too. Declare only what holds.
   */
  readonly startedBy?: readonly string[];
}

export interface StripeEventDraft {
  type: string;
  object: StripeObject;
  /** For `*.updated` events: the previous values of the attributes that changed. */
  previousAttributes?: Record<string, unknown>;
}
