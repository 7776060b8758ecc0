/**
 * The production StateStore: account and terminal snapshots and decisions in
 * Redis (key layout in keys.ts, Lua scripts in scripts/).
 *
 * Atomicity: one Lua script per account writes its snapshot and the decisions
 * of the commit; one per terminal writes the terminal. A commit sends all of
 * them in one pipeline (one round trip), terminals first; each script is
 * atomic on its own (they live in different cluster slots). Neither script
 * moves a stored seq backwards (seq 0, "not from the stream", always writes).
 *
 * Failure: the client never queues commands while Redis is down
 * (`enableOfflineQueue: false`) and times commands out, so every operation
 * fails fast with StateStoreUnavailableError instead of hanging; it keeps
 * reconnecting in the background (every 250–1000 ms, forever) and reports
 * 'ready'/'down' through `onStatus`.
 */
import { Redis } from 'ioredis';
import type { DecisionRecord } from '../decision-store.js';
import type { AccountCommit, StateStore, StoredSnapshot, TerminalCommit } from '../state-store.js';
import { VetoError } from '../../engine/errors.js';
import { SEQ_FIELD, SNAPSHOT_FIELD, redisKeys, type RedisKeys } from './keys.js';
import { RedisGuard } from './connection-guard.js';
import { callScript, commitAccountCall, commitTerminalCall, defineScripts, parseCommitReply, type CommitReply } from './scripts.js';

/** Redis does not answer: down, unreachable, timed out, loading, read-only or out of memory. Retry later. */
export class StateStoreUnavailableError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STATE_STORE_UNAVAILABLE', message, options);
  }
}

/** A stored value cannot be read back (unparseable JSON, bad seq, key of the wrong type). */
export class StateStoreCorruptError extends VetoError {
  constructor(
    readonly key: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STATE_STORE_CORRUPT', message, options);
  }
}

/** The write was refused: an invalid argument (caught before sending) or an error reply from a script. Nothing to retry. */
export class StateStoreRejectedError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STATE_STORE_REJECTED', message, options);
  }
}

export type StateStoreStatus = 'ready' | 'down';

export interface RedisStateStoreOptions {
  /** redis://[user:password@]host:port[/db] */
  readonly url: string;
  /** Namespace of every key, e.g. 'veto' (no braces). */
  readonly prefix: string;
  /** TTL of decision records and of the txId index, seconds (e.g. 30 days). */
  readonly decisionRetentionSeconds: number;
  /** TCP connect timeout, and the longest an operation waits for a connection attempt in progress. Default 1000. */
  readonly connectTimeoutMs?: number;
  /** A command without a reply after this long fails (Redis hung or the network dropped). Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Called on every transition between 'ready' and 'down' (the first connection reports 'ready' or 'down'). */
  readonly onStatus?: (status: StateStoreStatus) => void;
}

/** What a commit did beyond writing: entries whose stored seq was higher (nothing written for them). */
export interface CommitOutcome {
  readonly staleAccounts: readonly { readonly accountId: string; readonly storedSeq: number }[];
  readonly staleTerminals: readonly { readonly terminalId: string; readonly storedSeq: number }[];
}

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Error replies meaning "Redis cannot serve right now", not "this command is wrong". */
const UNAVAILABLE_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'OOM', 'CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS', 'MISCONF']);

type PipelineResult = [error: Error | null, result: unknown][] | null;

export class RedisStateStore implements StateStore {
  readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly retention: number;
  private readonly connectTimeoutMs: number;
  private readonly onStatus: ((status: StateStoreStatus) => void) | undefined;
  private reported: StateStoreStatus | undefined;
  private readonly guard: RedisGuard;

  constructor(options: RedisStateStoreOptions) {
    if (!Number.isSafeInteger(options.decisionRetentionSeconds) || options.decisionRetentionSeconds <= 0) {
      throw new RangeError(`decisionRetentionSeconds must be a positive integer, got ${options.decisionRetentionSeconds}`);
    }
    this.keys = redisKeys(options.prefix);
    this.retention = options.decisionRetentionSeconds;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.onStatus = options.onStatus;
    this.redis = new Redis(options.url, {
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      // Commands in flight when the connection drops fail at once (never resent later behind the caller's back).
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(250 * times, 1000),
    });
    this.guard = new RedisGuard(this.redis, {
      what: 'state store',
      connectTimeoutMs: this.connectTimeoutMs,
      unavailable: (message, o) => new StateStoreUnavailableError(message, o),
      mapError: toStoreError,
    });
    this.redis.on('ready', () => this.report('ready'));
    this.redis.on('close', () => this.report('down'));
    this.redis.on('end', () => this.report('down'));
    defineScripts(this.redis);
  }

  /** True when connected and ready (no round trip). */
  isUp(): boolean {
    return !this.guard.closed && this.redis.status === 'ready';
  }

  /** Resolves once connected; rejects with StateStoreUnavailableError if the attempt in progress fails or Redis is down. */
  async connect(): Promise<void> {
    await this.whenReady('connect');
  }

  loadAccount(accountId: string): Promise<StoredSnapshot | undefined> {
    return this.loadOne('loadAccount', this.keys.accountSnapshot(accountId));
  }

  loadTerminal(terminalId: string): Promise<StoredSnapshot | undefined> {
    return this.loadOne('loadTerminal', this.keys.terminalSnapshot(terminalId));
  }

  /** One pipeline of HMGETs: one round trip for any number of ids. */
  loadMany(
    accountIds: readonly string[],
    terminalIds: readonly string[],
  ): Promise<{ accounts: Map<string, StoredSnapshot>; terminals: Map<string, StoredSnapshot> }> {
    return this.run('loadMany', async () => {
      const accounts = new Map<string, StoredSnapshot>();
      const terminals = new Map<string, StoredSnapshot>();
      const aIds = [...new Set(accountIds)];
      const tIds = [...new Set(terminalIds)];
      if (aIds.length + tIds.length === 0) return { accounts, terminals };
      const keys = [...aIds.map((id) => this.keys.accountSnapshot(id)), ...tIds.map((id) => this.keys.terminalSnapshot(id))];
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.hmget(key, SNAPSHOT_FIELD, SEQ_FIELD);
      const replies = checkPipeline('loadMany', await pipeline.exec(), keys);
      replies.forEach((reply, i) => {
        const snapshot = parseSnapshot(keys[i] as string, reply);
        if (snapshot === undefined) return;
        if (i < aIds.length) accounts.set(aIds[i] as string, snapshot);
        else terminals.set(tIds[i - aIds.length] as string, snapshot);
      });
      return { accounts, terminals };
    });
  }

  async commit(terminals: readonly TerminalCommit[], accounts: readonly AccountCommit[]): Promise<void> {
    await this.commitDetailed(terminals, accounts);
  }

  /**
   * `commit`, reporting the entries left unwritten because their stored seq
   * was higher. One pipeline: the terminals' scripts, then for each account its
   * txId index entries and its script. Rejects if any command failed (the
   * others may have been applied: every script is idempotent, so retry).
   */
  async commitDetailed(terminals: readonly TerminalCommit[], accounts: readonly AccountCommit[]): Promise<CommitOutcome> {
    for (const t of terminals) checkSnapshot(`terminal ${t.terminalId}`, t.snapshot);
    for (const a of accounts) {
      checkSnapshot(`account ${a.accountId}`, a.snapshot);
      for (const d of a.decisions) {
        if (d.accountId !== a.accountId) {
          throw new StateStoreRejectedError(`decision ${d.txId} belongs to account ${d.accountId}, not to the committed account ${a.accountId}`);
        }
      }
    }
    return this.run('commit', async () => {
      if (terminals.length + accounts.length === 0) return { staleAccounts: [], staleTerminals: [] };
      const pipeline = this.redis.pipeline();
      const scripts: { index: number; kind: 'terminal' | 'account'; id: string }[] = [];
      const labels: string[] = [];
      const queue = (label: string) => labels.push(label) - 1;
      for (const t of terminals) {
        const key = this.keys.terminalSnapshot(t.terminalId);
        const { keys, argv } = commitTerminalCall({ snapshotKey: key, snapshot: t.snapshot.snapshot, seq: t.snapshot.seq });
        callScript(pipeline, 'commit-terminal', keys, argv);
        scripts.push({ index: queue(key), kind: 'terminal', id: t.terminalId });
      }
      for (const a of accounts) {
        for (const d of a.decisions) {
          const key = this.keys.txIndex(d.txId);
          pipeline.set(key, a.accountId, 'EX', this.retention);
          queue(key);
        }
        const key = this.keys.accountSnapshot(a.accountId);
        const { keys, argv } = commitAccountCall({
          snapshotKey: key,
          snapshot: a.snapshot.snapshot,
          seq: a.snapshot.seq,
          retentionSeconds: this.retention,
          decisions: a.decisions.map((d) => ({ key: this.keys.decision(a.accountId, d.txId), json: JSON.stringify(d) })),
        });
        callScript(pipeline, 'commit-account', keys, argv);
        scripts.push({ index: queue(key), kind: 'account', id: a.accountId });
      }
      const replies = checkPipeline('commit', await pipeline.exec(), labels);
      const staleAccounts: { accountId: string; storedSeq: number }[] = [];
      const staleTerminals: { terminalId: string; storedSeq: number }[] = [];
      for (const s of scripts) {
        const reply = parseScriptReply(labels[s.index] as string, replies[s.index]);
        if (reply.written) continue;
        if (s.kind === 'account') staleAccounts.push({ accountId: s.id, storedSeq: reply.seq });
        else staleTerminals.push({ terminalId: s.id, storedSeq: reply.seq });
      }
      return { staleAccounts, staleTerminals };
    });
  }

  /** The decision of a txId, through the txId → accountId index (two round trips). */
  get(txId: string): Promise<DecisionRecord | undefined> {
    return this.run('get', async () => {
      const accountId = await this.redis.get(this.keys.txIndex(txId));
      if (accountId === null) return undefined;
      const key = this.keys.decision(accountId, txId);
      const json = await this.redis.get(key);
      if (json === null) return undefined;
      return parseDecision(key, txId, json);
    });
  }

  /** Records one decision outside a commit (the HTTP path): index and decision, both with the retention TTL. */
  put(record: DecisionRecord): Promise<void> {
    return this.run('put', async () => {
      const indexKey = this.keys.txIndex(record.txId);
      const decisionKey = this.keys.decision(record.accountId, record.txId);
      const pipeline = this.redis.pipeline();
      pipeline.set(indexKey, record.accountId, 'EX', this.retention);
      pipeline.set(decisionKey, JSON.stringify(record), 'EX', this.retention);
      checkPipeline('put', await pipeline.exec(), [indexKey, decisionKey]);
    });
  }

  /** Every write is durable (in Redis) when its promise resolves; this waits for those still in flight. */
  async flush(): Promise<void> {
    await this.guard.settle();
  }

  /** PING; false when Redis is down or slow (never throws). */
  async ping(): Promise<boolean> {
    try {
      await this.whenReady('ping');
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Waits for writes in flight, then QUITs (or drops the connection if Redis does not answer). Idempotent. */
  async close(): Promise<void> {
    if (this.guard.closed) return;
    await this.flush();
    this.guard.markClosed();
    if (this.redis.status === 'end') return;
    try {
      if (this.redis.status !== 'ready') throw new Error('not connected');
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private report(status: StateStoreStatus): void {
    if (this.reported === status) return;
    this.reported = status;
    try {
      this.onStatus?.(status);
    } catch {
      // A listener's failure must not break the client's event handling.
    }
  }

  private loadOne(op: string, key: string): Promise<StoredSnapshot | undefined> {
    return this.run(op, async () => parseSnapshot(key, await this.redis.hmget(key, SNAPSHOT_FIELD, SEQ_FIELD)));
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.guard.run(op, fn);
  }

  private whenReady(op: string): Promise<void> {
    return this.guard.whenReady(op);
  }
}

/** Maps a Redis failure to a state-store error. */
function toStoreError(op: string, error: unknown): Error {
  if (error instanceof VetoError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.name === 'ReplyError') {
    const code = e.message.split(' ', 1)[0] ?? '';
    if (UNAVAILABLE_REPLIES.has(code)) return new StateStoreUnavailableError(`${op}: Redis cannot serve now: ${e.message}`, { cause: e });
    if (code === 'WRONGTYPE') return new StateStoreCorruptError(undefined, `${op}: a key holds the wrong type: ${e.message}`, { cause: e });
    return new StateStoreRejectedError(`${op}: Redis rejected the command: ${e.message}`, { cause: e });
  }
  // Programming errors are not store conditions: let them through unchanged.
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return e;
  return new StateStoreUnavailableError(`${op}: Redis is unavailable: ${e.message}`, { cause: e });
}

/** The replies of a pipeline, or the error of its most telling failed command (unavailability first). */
function checkPipeline(op: string, results: PipelineResult, labels: readonly string[]): unknown[] {
  if (results === null) throw new StateStoreUnavailableError(`${op}: the pipeline was aborted`);
  const failures = results.flatMap(([error], i) => (error ? [{ error: toStoreError(op, error), label: labels[i] }] : []));
  if (failures.length > 0) {
    const first = failures.find((f) => f.error instanceof StateStoreUnavailableError) ?? (failures[0] as (typeof failures)[number]);
    const message = `${failures.length} of ${results.length} commands failed; ${first.label ?? 'a command'}: ${first.error.message}`;
    const options = { cause: failures.length === 1 ? first.error : new AggregateError(failures.map((f) => f.error)) };
    if (first.error instanceof StateStoreUnavailableError) throw new StateStoreUnavailableError(message, options);
    if (first.error instanceof StateStoreCorruptError) throw new StateStoreCorruptError(first.label, message, options);
    throw new StateStoreRejectedError(message, options);
  }
  return results.map(([, result]) => result);
}

function parseScriptReply(key: string, reply: unknown): CommitReply {
  try {
    return parseCommitReply(reply);
  } catch (cause) {
    throw new StateStoreCorruptError(key, `${key}: ${(cause as Error).message}`, { cause });
  }
}

function checkSnapshot(what: string, s: StoredSnapshot): void {
  if (typeof s.snapshot !== 'string') throw new StateStoreRejectedError(`${what}: the snapshot must be a JSON string`);
  if (!Number.isSafeInteger(s.seq) || s.seq < 0) throw new StateStoreRejectedError(`${what}: seq must be a non-negative safe integer, got ${s.seq}`);
}

/** An HMGET [snapshot, seq] reply: both absent = no entry; both present and valid = the entry; anything else is corrupt. */
function parseSnapshot(key: string, reply: unknown): StoredSnapshot | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) throw new StateStoreCorruptError(key, `${key}: unexpected reply ${JSON.stringify(reply)}`);
  const [snapshot, seq] = reply as [unknown, unknown];
  if (snapshot === null && seq === null) return undefined;
  if (typeof snapshot !== 'string') throw new StateStoreCorruptError(key, `${key}: the snapshot field is missing`);
  if (typeof seq !== 'string' || !/^\d+$/.test(seq) || !Number.isSafeInteger(Number(seq))) {
    throw new StateStoreCorruptError(key, `${key}: the seq field is missing or not an integer (${JSON.stringify(seq)})`);
  }
  return { snapshot, seq: Number(seq) };
}

function parseDecision(key: string, txId: string, json: string): DecisionRecord {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new StateStoreCorruptError(key, `${key}: the decision record is not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || (value as { txId?: unknown }).txId !== txId) {
    throw new StateStoreCorruptError(key, `${key}: the stored value is not the decision record of ${txId}`);
  }
  return value as DecisionRecord;
}
