/**
 * The one command handler: load → decide → append with outbox, for one stream or several streams
 * atomically, retried on concurrency conflicts under the one policy (conflict-retry.ts). Semantics and the
 * choice of policy: README.md ("Commands").
 */
import type { Decider } from '../domain/decider';
import { conflictRetryDelayMs, pause } from './conflict-retry';
import { deterministicEventId } from './event-id';
import {
  ConcurrencyError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type StoredEvent,
} from './types';

type Command = { type: string };
type DecidedEvent = { type: string; data?: unknown };

export interface StreamCommand<C extends Command, E extends DecidedEvent, S> {
  streamId: string;
  decider: Decider<C, E, S>;
  command: C;
}

export interface HandleCommandOptions {
  metadata?: EventMetadata;
  /**
   * what the event ids derive from (deterministicEventId(key, index)), so a retried step appends the same ids
   * and its append is a no-op: a key, or a function giving one per stream and command type (several streams
   * need one each). Without it the ids are random.
   */
  idempotencyKey?: string | ((streamId: string, commandType: string) => string);
  /** mirror the appended events to the outbox (see envelope.ts) */
  publish?: boolean;
}

export interface HandleCommandResult<S> {
  streamId: string;
  state: S;
  version: number;
  /** false when nothing was written: nothing to do, or the outcome had already been written by an earlier try */
  appended: boolean;
  events: StoredEvent[];
}

interface Decision<C extends Command, E extends DecidedEvent, S> extends StreamCommand<C, E, S> {
  state: S;
  version: number;
  decided: E[];
  events: NewEvent[];
}

/** an append in the transaction found this try's event ids stored: roll back, decide again */
class AlreadyStored extends Error {
  constructor(readonly result: AppendResult) {
    super('already stored');
  }
}

/**
 * One stream, or several streams atomically: every command is decided before anything is written (a refusal
 * writes nothing), the streams with events are appended in the given order in one transaction (one stream
 * alone appends by itself, so it may share a group commit). A conflict decides again on fresh state after
 * the policy's wait; event ids found stored (an earlier try wrote this outcome) decide again at once, and a
 * second time end the command with the stored outcome. Refusals thrown by decide propagate unchanged.
 */
export function handleCommand<C extends Command, E extends DecidedEvent, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  opts?: HandleCommandOptions,
): Promise<HandleCommandResult<S>>;
export function handleCommand<C extends Command, E extends DecidedEvent, S>(
  store: EventStore,
  commands: StreamCommand<C, E, S>[],
  opts?: HandleCommandOptions,
): Promise<HandleCommandResult<S>[]>;
export async function handleCommand<C extends Command, E extends DecidedEvent, S>(
  store: EventStore,
  target: string | StreamCommand<C, E, S>[],
  deciderOrOpts?: Decider<C, E, S> | HandleCommandOptions,
  command?: C,
  options?: HandleCommandOptions,
): Promise<HandleCommandResult<S> | HandleCommandResult<S>[]> {
  const one = typeof target === 'string';
  const commands = one
    ? [{ streamId: target, decider: deciderOrOpts as Decider<C, E, S>, command: command! }]
    : target;
  const opts = (one ? options : (deciderOrOpts as HandleCommandOptions | undefined)) ?? {};
  if (!one && typeof opts.idempotencyKey === 'string' && commands.length > 1)
    throw new Error('commands on several streams need an idempotency key per stream (a function)');
  const finish = (results: HandleCommandResult<S>[]) => (one ? results[0]! : results);
  let storedBefore = false;
  for (let conflicts = 0; ;) {
    const decisions = await decideAll(store, commands, opts);
    const writes = decisions.filter((d) => d.events.length > 0);
    const appendOpts = {
      ...(opts.metadata ? { metadata: opts.metadata } : {}),
      ...(opts.publish ? { publish: true } : {}),
    };
    let stored: AppendResult;
    try {
      if (writes.length === 0) return finish(resultsOf(decisions, new Map()));
      if (writes.length === 1) {
        const w = writes[0]!;
        const r = await store.append(w.streamId, expectedOf(w), w.events, appendOpts);
        if (r.appended) return finish(resultsOf(decisions, new Map([[w.streamId, r]])));
        stored = r;
      } else {
        const appended = await store.transaction(async (client) => {
          const done = new Map<string, AppendResult>();
          for (const w of writes) {
            const r = await store.append(w.streamId, expectedOf(w), w.events, { ...appendOpts, client });
            if (!r.appended) throw new AlreadyStored(r);
            done.set(w.streamId, r);
          }
          return done;
        });
        return finish(resultsOf(decisions, appended));
      }
    } catch (err) {
      if (err instanceof AlreadyStored) stored = err.result;
      else {
        const wait = err instanceof ConcurrencyError ? conflictRetryDelayMs(++conflicts) : undefined;
        if (wait === undefined) throw err;
        await pause(wait);
        continue;
      }
    }
    // this try's ids are stored: an earlier try wrote its outcome. Decide again on fresh state; when that
    // decision is stored as well (a decider that does not recognise its own outcome), the outcome is that
    if (storedBefore) return finish(await reloaded(store, decisions, stored));
    storedBefore = true;
  }
}

/** loads every stream, then decides every command; a refusal throws before anything is written */
async function decideAll<C extends Command, E extends DecidedEvent, S>(
  store: EventStore,
  commands: StreamCommand<C, E, S>[],
  opts: HandleCommandOptions,
): Promise<Decision<C, E, S>[]> {
  const loaded = await Promise.all(commands.map((c) => store.aggregateStream(c.streamId, c.decider)));
  return commands.map((c, i) => {
    const { state, version } = loaded[i]!;
    const decided = c.decider.decide(c.command, state);
    const key =
      typeof opts.idempotencyKey === 'function'
        ? opts.idempotencyKey(c.streamId, c.command.type)
        : opts.idempotencyKey;
    const events = decided.map((e, n) => ({
      type: e.type,
      data: e.data,
      ...(key !== undefined ? { id: deterministicEventId(key, n) } : {}),
    }));
    return { ...c, state, version, decided, events };
  });
}

const expectedOf = (d: { version: number }): ExpectedVersion => (d.version === 0 ? 'no_stream' : d.version);

/** the outcome of written decisions: each stream's decided events folded into the state it was decided on */
function resultsOf<C extends Command, E extends DecidedEvent, S>(
  decisions: Decision<C, E, S>[],
  appended: Map<string, AppendResult>,
): HandleCommandResult<S>[] {
  return decisions.map((d) => {
    const r = appended.get(d.streamId);
    return {
      streamId: d.streamId,
      state: d.decided.reduce(d.decider.evolve, d.state),
      version: r?.nextVersion ?? d.version,
      appended: r !== undefined,
      events: r?.events ?? [],
    };
  });
}

/** the streams as stored now, nothing appended by this command; the stored events of the stream that had them */
async function reloaded<C extends Command, E extends DecidedEvent, S>(
  store: EventStore,
  decisions: Decision<C, E, S>[],
  stored: AppendResult,
): Promise<HandleCommandResult<S>[]> {
  const now = await Promise.all(decisions.map((d) => store.aggregateStream(d.streamId, d.decider)));
  return decisions.map((d, i) => ({
    streamId: d.streamId,
    state: now[i]!.state,
    version: now[i]!.version,
    appended: false,
    events: stored.events[0]?.streamId === d.streamId ? stored.events : [],
  }));
}
