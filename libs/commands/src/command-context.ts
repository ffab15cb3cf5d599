/** Who asked, and when: becomes the metadata of every event a command produces. */
export interface CommandContext {
  accountId: string;
  livemode: boolean;
  requestId?: string;
  idempotencyKey?: string;
  causationId?: string;
  correlationId?: string;
  /** The instant the command happens at (wall clock, or a test clock's frozen time). */
  now: Date;
  testClock?: string;
}
