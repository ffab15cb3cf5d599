/**
 * An aggregate as pure functions (Emmett's decider shape): all I/O lives in the command
 * runtime. `decide` returns the events a command produces, or throws a DomainError; `evolve`
 * folds one event into state. Given the same events and command, the result is always the same.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

export interface Decider<Command, State, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

/** Fold a history into state. */
export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}

/**
 * The same aggregate taking several commands as one: each command is decided on the state the
 * previous ones' events produced, and every event is appended together — one stream read and
 * one append (one commit) where the commands one by one would cost one of each per command.
 * All or nothing: a command that throws leaves the stream untouched.
 */
export function inSequence<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
): Decider<readonly Command[], State, Event> {
  return {
    initialState: () => decider.initialState(),
    evolve: (state, event) => decider.evolve(state, event),
    decide(commands, state) {
      const events: Event[] = [];
      for (const command of commands) {
        const decided = decider.decide(command, state);
        events.push(...decided);
        state = decided.reduce((s, e) => decider.evolve(s, e), state);
      }
      return events;
    },
  };
}
