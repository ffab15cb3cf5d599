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
  type StreamAppend,
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
  /**
   * Commands on other streams that go with this one: decided with it (on every attempt, each on
   * its own stream's state) and appended with it in ONE appendMany, their events first (see
   * AlongCommand). A retry after a lost race re-decides them all. Locked in-process like the
   * main stream.
   */
  along?: readonly AlongCommand[];
}

/**
 * A command on another stream appended together with a handle()'s command, in one atomic
 * append where the store offers it (EventStore.appendMany; on EventStoreDB its events are
 * appended just before the main command's, as two appends one after the other would be).
 * Made with `alongCommand`. Typical use: the PaymentMethod a payment request creates, whose
 * events must not be written without the intent's, nor the intent's without it.
 *
 * When the main command is refused (its decider throws) or gives up after lost races, the
 * along commands' events are still appended, alone, before the error is thrown: as if each
 * had been its own command run first (what callers did before there was appendMany).
 */
export interface AlongCommand {
  readonly stream: string;
  /** Events on the caller's state (`known`) when given and `first`; else on the stream's state, read. */
  decideOn(
    runtime: CommandRuntime,
    first: boolean,
  ): Promise<{ events: DomainEvent[]; revision: bigint | null }>;
}

/** An AlongCommand: `command` on `stream` with `decider`; `newStream`/`known` as in HandleOptions. */
export function alongCommand<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
  stream: string,
  command: Command,
  options: { newStream?: boolean; known?: KnownStream<State> } = {},
): AlongCommand {
  const known =
    options.known ?? (options.newStream ? { state: decider.initialState(), revision: null } : null);
  return {
    stream,
    async decideOn(runtime, first) {
      // As for the main command: a refusal or no-op on the caller's state is decided again on a read.
      if (first && known) {
        try {
          const events = decider.decide(command, known.state);
          if (events.length > 0) return { events, revision: known.revision };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
        }
      }
      const { state, revision } = await runtime.load(decider, stream);
      return { events: decider.decide(command, state), revision };
    },
  };
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
    const along = options.along ?? [];
    const outcome = await this.locked([stream, ...along.map((a) => a.stream)], () =>
      this.decideAndAppend(decider, stream, command, context, known, along),
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
    along: readonly AlongCommand[],
  ): Promise<CommandOutcome<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      // The caller's state is used once; a decision on it that appends nothing (no events, or a
      // refusal) is made again on a fresh read, so such an answer never rests on a stale state.
      const supplied = attempt === 1 ? known : null;
      // The along commands are decided again on every attempt, like the main one.
      const alongs = await Promise.all(along.map((a) => a.decideOn(this, attempt === 1)));
      const { state, revision } = supplied ?? (await this.load(decider, stream));
      let events: Event[];
      try {
        events = decider.decide(command, state);
      } catch (error) {
        if (supplied && error instanceof DomainError) continue;
        if (error instanceof DomainError) await this.appendAlongAlone(along, alongs, context);
        throw error;
      }
      if (events.length === 0) {
        if (supplied) continue;
        const position = await this.appendAlongAlone(along, alongs, context);
        return { state, events, position, revision };
      }
      try {
        const metadata = metadataOf(context);
        const main = {
          stream,
          events: events.map((event) => ({ type: event.type, data: event.data, metadata })),
          expected: revision === null ? NO_STREAM : revision,
        };
        const parts = this.alongParts(along, alongs, metadata);
        const result =
          parts.length === 0
            ? await this.store.append(main.stream, main.events, main.expected)
            : (await this.store.appendMany([...parts, main])).at(-1)!;
        const next = events.reduce((s, e) => decider.evolve(s, e), state);
        return { state: next, events, position: result.position, revision: result.nextRevision };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_COMMAND_ATTEMPTS) {
          await this.appendAlongAlone(along, alongs, context);
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

  /** The along commands' parts of an appendMany (those with events). */
  private alongParts(
    along: readonly AlongCommand[],
    decided: readonly { events: DomainEvent[]; revision: bigint | null }[],
    metadata: EventMetadata,
  ): StreamAppend[] {
    const parts: StreamAppend[] = [];
    decided.forEach(({ events, revision }, i) => {
      if (events.length === 0) return;
      parts.push({
        stream: along[i]!.stream,
        events: events.map((event) => ({ type: event.type, data: event.data, metadata })),
        expected: revision === null ? NO_STREAM : revision,
      });
    });
    return parts;
  }

  /**
   * The along commands' events without the main command's (it appends nothing, or is refused):
   * what they would have written as commands of their own, on the state they were decided on.
   * A conflict there is not retried: nothing is written and the main command's answer stands.
   */
  private async appendAlongAlone(
    along: readonly AlongCommand[],
    decided: readonly { events: DomainEvent[]; revision: bigint | null }[],
    context: CommandContext,
  ): Promise<GlobalPosition | null> {
    const parts = this.alongParts(along, decided, metadataOf(context));
    if (parts.length === 0) return null;
    try {
      const results = await this.store.appendMany(parts);
      return results.at(-1)!.position;
    } catch (error) {
      // Lost a race on an along stream: the caller's own answer (the refusal) stands.
      if (error instanceof WrongExpectedRevisionError) return null;
      throw error;
    }
  }

  /** Runs `task` holding the in-process lock of every stream, taken in one order (no deadlock). */
  private locked<T>(streams: string[], task: () => Promise<T>): Promise<T> {
    const keys = [...new Set(streams)].sort();
    const run = (i: number): Promise<T> =>
      i === keys.length ? task() : this.streamLocks.run(keys[i]!, () => run(i + 1));
    return run(0);
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
