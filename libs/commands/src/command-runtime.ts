import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { fold, type Decider, type DomainEvent } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import { StreamNotFoundError, WrongExpectedRevisionError } from '#libs/event-store/src/errors';
import {
  NO_STREAM,
  type EventMetadata,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '#libs/event-store/src/port';
import { EVENT_STORE } from '#libs/platform/src/tokens';
import type { CommandContext } from './command-context.js';
import { KeyedLock } from './keyed-lock.js';
import { POSITION_WAITER, type PositionWaiter } from './position-waiter.js';

/** Appends that lose a race are re-decided against fresh state this many times before giving up. */
export const MAX_COMMAND_ATTEMPTS = 6;
/** Upper bound of the random back-off between attempts; jitter spreads racing writers apart. */
const MAX_RETRY_JITTER_MS = 15;

export interface CommandOutcome<State, Event> {
  /** State after the new events. */
  state: State;
  /** Events this command appended (empty when the decider had nothing to say). */
  events: Event[];
  /** Global position of the last appended event; null when nothing was appended. */
  position: GlobalPosition | null;
  /**
   * The stream's revision that `state` is folded up to (its last event's, after this command's
   * events); null when the stream does not exist. With `state`, what a next command on the
   * stream may pass as `known`.
   */
  revision: bigint | null;
}

/** A stream as a caller last saw it: its folded state and the revision of its last event (null: no stream). */
export interface KnownStream<State> {
  state: State;
  revision: bigint | null;
}

export interface HandleOptions<State = unknown> {
  /** Read models that must reflect the write before the call returns (read-your-writes). */
  waitFor?: readonly string[];
  /**
   * The stream is new as far as the caller knows (its id was generated for this command): skip
   * the read, decide on the initial state and append with NO_STREAM. Safe if it is wrong: the
   * append is then refused and the command re-decided on the stream's real state.
   */
  newStream?: boolean;
  /**
   * The stream as the caller already holds it, folded by this decider's evolve (from `load()`
   * or an earlier outcome on the stream): skip the read and decide on it, appending with its
   * revision as the expected one. Safe if it is stale: the append is then refused and the
   * command re-decided on the stream's real state, as with `newStream`.
   */
  known?: KnownStream<State>;
}

/**
 * The generic command handler: load stream → fold → decide → append with the expected
 * revision. Commands on one stream queue in-process (KeyedLock); a race lost to another process
 * re-runs the decision on fresh state (bounded, jittered), and after that the caller gets a
 * conflict error. Deciders stay pure; all I/O is here.
 */
@Injectable()
export class CommandRuntime {
  private readonly streamLocks = new KeyedLock();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(POSITION_WAITER) private readonly waiter?: PositionWaiter,
  ) {}

  async load<State, Event extends DomainEvent>(
    decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve'>,
    stream: string,
  ): Promise<KnownStream<State>> {
    const recorded = await this.readOrEmpty(stream);
    const events = recorded.map((r) => ({ type: r.type, data: r.data }) as Event);
    return {
      state: fold(decider, events),
      revision: recorded.length > 0 ? recorded[recorded.length - 1]!.revision : null,
    };
  }

  async handle<Command, State, Event extends DomainEvent>(
    decider: Decider<Command, State, Event>,
    stream: string,
    command: Command,
    context: CommandContext,
    options: HandleOptions<State> = {},
  ): Promise<CommandOutcome<State, Event>> {
    const known =
      options.known ?? (options.newStream ? { state: decider.initialState(), revision: null } : null);
    const outcome = await this.streamLocks.run(stream, () =>
      this.decideAndAppend(decider, stream, command, context, known),
    );
    if (outcome.position !== null && options.waitFor?.length && this.waiter) {
      await this.waiter.waitFor(outcome.position, options.waitFor);
    }
    return outcome;
  }

  private async decideAndAppend<Command, State, Event extends DomainEvent>(
    decider: Decider<Command, State, Event>,
    stream: string,
    command: Command,
    context: CommandContext,
    known: KnownStream<State> | null,
  ): Promise<CommandOutcome<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      // The caller's state is used once; a decision on it that appends nothing (no events, or a
      // refusal) is made again on a fresh read, so such an answer never rests on a stale state.
      const supplied = attempt === 1 ? known : null;
      const { state, revision } = supplied ?? (await this.load(decider, stream));
      let events: Event[];
      try {
        events = decider.decide(command, state);
      } catch (error) {
        if (supplied && error instanceof DomainError) continue;
        throw error;
      }
      if (events.length === 0) {
        if (supplied) continue;
        return { state, events, position: null, revision };
      }
      try {
        const result = await this.store.append(
          stream,
          events.map((event) => ({ type: event.type, data: event.data, metadata: metadataOf(context) })),
          revision === null ? NO_STREAM : revision,
        );
        const next = events.reduce((s, e) => decider.evolve(s, e), state);
        return { state: next, events, position: result.position, revision: result.nextRevision };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_COMMAND_ATTEMPTS) {
          throw new DomainError(
            'state',
            'lock_timeout',
            'This object cannot be accessed right now because another API request or Coffer process is currently accessing it. Please retry.',
            { conflict: true },
          );
        }
        // A supplied state that was stale needs a fresh read, not a back-off.
        if (!supplied) await sleep(Math.random() * MAX_RETRY_JITTER_MS * attempt);
      }
    }
  }

  private async readOrEmpty(stream: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(stream);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }
}

export function metadataOf(context: CommandContext): EventMetadata {
  const metadata: EventMetadata = {
    accountId: context.accountId,
    livemode: context.livemode,
    occurredAt: context.now.toISOString(),
  };
  if (context.requestId) metadata.requestId = context.requestId;
  if (context.idempotencyKey) metadata.idempotencyKey = context.idempotencyKey;
  if (context.causationId) metadata.causationId = context.causationId;
  if (context.correlationId) metadata.correlationId = context.correlationId;
  if (context.testClock) metadata.testClock = context.testClock;
  return metadata;
}
