/**
 * A table of live actors of one machine, keyed by entity id: created on first
 * use or restored from a persisted snapshot, least-recently-used first for
 * passivation, with an error observer on every actor. When an event makes an
 * actor fail, the actor is recreated from its snapshot before that event and
 * an ActorFailedError is thrown for that event only.
 */
import { createActor, type Actor, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';
import { ActorFailedError } from './errors.js';

interface Entry<M extends AnyStateMachine> {
  actor: Actor<M>;
  /** Stream sequence of the last event applied (0: none from the stream). */
  seq: number;
  /** Applied but not yet persisted. */
  dirty: boolean;
  /** Wall-clock time of the last use (for idle passivation). */
  usedAt: number;
}

export class ActorTable<M extends AnyStateMachine> {
  private readonly entries = new Map<string, Entry<M>>();

  constructor(
    private readonly kind: 'account' | 'terminal',
    private readonly logic: M,
    private readonly input: (id: string) => InputFrom<M>,
    private readonly onError: (error: ActorFailedError) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  snapshot(id: string): SnapshotFrom<M> | undefined {
    return this.entries.get(id)?.actor.getSnapshot() as SnapshotFrom<M> | undefined;
  }

  seq(id: string): number {
    return this.entries.get(id)?.seq ?? 0;
  }

  /** Sends an event (creating the actor if needed) and returns the new snapshot. */
  send(id: string, event: EventFromLogic<M>, seq?: number): SnapshotFrom<M> {
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { actor: this.start(createActor(this.logic, { input: this.input(id) })), seq: 0, dirty: false, usedAt: 0 };
    } else {
      this.entries.delete(id); // re-inserted below: Map order is least recently used first
    }
    this.entries.set(id, entry);
    entry.usedAt = this.now();
    const before = entry.actor.getSnapshot();
    entry.actor.send(event);
    const after = entry.actor.getSnapshot() as { status: string; error?: unknown };
    if (after.status === 'error') {
      entry.actor = this.start(createActor(this.logic, { input: this.input(id), snapshot: this.logic.getPersistedSnapshot(before) }));
      const error = new ActorFailedError(this.kind, id, { cause: after.error });
      this.onError(error);
      throw error;
    }
    entry.dirty = true;
    if (seq !== undefined && seq > entry.seq) entry.seq = seq;
    return after as SnapshotFrom<M>;
  }

  /** Replaces the actor with one restored from a persisted snapshot (JSON). */
  restore(id: string, json: string, seq: number): void {
    const snapshot = JSON.parse(json) as object;
    this.entries.get(id)?.actor.stop();
    this.entries.delete(id);
    this.entries.set(id, { actor: this.start(createActor(this.logic, { input: this.input(id), snapshot: snapshot as never })), seq, dirty: false, usedAt: this.now() });
  }

  /** The persisted snapshot (JSON) and sequence of a resident actor. */
  persisted(id: string): { snapshot: string; seq: number } | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    // The machines hold no child actors or history states, so the persisted snapshot is the
    // snapshot's plain fields: skip XState's deep walk of the context (a hot path of every commit).
    const s = entry.actor.getSnapshot() as { status: string; value: unknown; context: unknown; output?: unknown; error?: unknown };
    const persisted = { status: s.status, value: s.value, historyValue: {}, context: s.context, children: {}, output: s.output, error: s.error };
    return { snapshot: JSON.stringify(persisted), seq: entry.seq };
  }

  /** Marks actors as persisted. */
  markClean(ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry) entry.dirty = false;
    }
  }

  isDirty(id: string): boolean {
    return this.entries.get(id)?.dirty ?? false;
  }

  evict(id: string): void {
    this.entries.get(id)?.actor.stop();
    this.entries.delete(id);
  }

  /**
   * Passivation: evicts clean (persisted) actors, least recently used first,
   * while more than `max` remain or while they were last used before `idleBefore`.
   */
  evictBeyond(max: number, idleBefore = -Infinity): number {
    let evicted = 0;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= max && entry.usedAt >= idleBefore) break;
      if (entry.dirty) continue;
      entry.actor.stop();
      this.entries.delete(id);
      evicted++;
    }
    return evicted;
  }

  ids(): IterableIterator<string> {
    return this.entries.keys();
  }

  stop(): void {
    for (const e of this.entries.values()) e.actor.stop();
    this.entries.clear();
  }

  private start(actor: Actor<M>): Actor<M> {
    actor.subscribe({ error: () => {} });
    actor.start();
    return actor;
  }
}
