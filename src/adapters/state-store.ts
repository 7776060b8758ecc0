/**
 * The online feature store: each account's and terminal's persisted actor
 * snapshot (XState `getPersistedSnapshot`, as JSON) with the stream sequence
 * of the last event applied, and decisions by txId. Redis in production, a Map
 * in embedded mode and unit tests.
 *
 * Atomicity: everything of one account (its snapshot and the decisions of its
 * transactions) is written in one atomic step; a terminal's snapshot in
 * another. Callers commit terminals before accounts, so an account committed
 * at sequence s implies its terminals were committed at ≥ s.
 */
import type { DecisionRecord, DecisionStore } from './decision-store.js';

export interface StoredSnapshot {
  /** JSON of the XState persisted snapshot. */
  readonly snapshot: string;
  /** Stream sequence of the last event applied (0 when none came from the stream). */
  readonly seq: number;
}

export interface AccountCommit {
  readonly accountId: string;
  readonly snapshot: StoredSnapshot;
  /** Decisions made in this commit (written with the snapshot, atomically). */
  readonly decisions: readonly DecisionRecord[];
}

export interface TerminalCommit {
  readonly terminalId: string;
  readonly snapshot: StoredSnapshot;
}

export interface StateStore extends DecisionStore {
  loadAccount(accountId: string): Promise<StoredSnapshot | undefined>;
  loadTerminal(terminalId: string): Promise<StoredSnapshot | undefined>;
  /** Loads many at once (one round trip in Redis); missing entries are absent from the map. */
  loadMany(accountIds: readonly string[], terminalIds: readonly string[]): Promise<{
    accounts: Map<string, StoredSnapshot>;
    terminals: Map<string, StoredSnapshot>;
  }>;
  /** Commits terminals, then accounts with their decisions. Resolves when durable. */
  commit(terminals: readonly TerminalCommit[], accounts: readonly AccountCommit[]): Promise<void>;
  /** True when the store answers (Redis: PING). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** In-process StateStore: snapshots and decisions in Maps (embedded mode, unit tests). */
export class InMemoryStateStore implements StateStore {
  readonly accounts = new Map<string, StoredSnapshot>();
  readonly terminals = new Map<string, StoredSnapshot>();
  private readonly decisions = new Map<string, DecisionRecord>();

  constructor(private readonly retain = 1_000_000) {}

  loadAccount(accountId: string): Promise<StoredSnapshot | undefined> {
    return Promise.resolve(this.accounts.get(accountId));
  }

  loadTerminal(terminalId: string): Promise<StoredSnapshot | undefined> {
    return Promise.resolve(this.terminals.get(terminalId));
  }

  loadMany(accountIds: readonly string[], terminalIds: readonly string[]) {
    const pick = (from: Map<string, StoredSnapshot>, ids: readonly string[]) =>
      new Map(ids.flatMap((id) => (from.has(id) ? [[id, from.get(id) as StoredSnapshot] as const] : [])));
    return Promise.resolve({ accounts: pick(this.accounts, accountIds), terminals: pick(this.terminals, terminalIds) });
  }

  commit(terminals: readonly TerminalCommit[], accounts: readonly AccountCommit[]): Promise<void> {
    for (const t of terminals) this.terminals.set(t.terminalId, t.snapshot);
    for (const a of accounts) {
      this.accounts.set(a.accountId, a.snapshot);
      for (const d of a.decisions) this.putSync(d);
    }
    return Promise.resolve();
  }

  get(txId: string): Promise<DecisionRecord | undefined> {
    return Promise.resolve(this.decisions.get(txId));
  }

  put(record: DecisionRecord): Promise<void> {
    this.putSync(record);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private putSync(record: DecisionRecord): void {
    this.decisions.set(record.txId, record);
    if (this.decisions.size > this.retain) this.decisions.delete(this.decisions.keys().next().value as string);
  }
}
