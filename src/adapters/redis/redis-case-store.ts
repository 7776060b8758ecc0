/**
 * The production CaseStore: review cases, their status queues and the audit
 * trail in Redis. Ordering, cursors and validation are shared with the
 * in-memory store (../case-store.ts); this file adds the key layout, the Lua
 * scripts (scripts/case-*.lua) and the connection handling.
 *
 * Key layout (everything of the cases shares the hash tag `{cases}`, so one
 * script can write a case and move it between indexes atomically; the audit
 * trail has `{audit}`):
 *
 *   <p>:{cases}:case:<id>                  hash { json, version, status, score_key, time_key, resolved_key }
 *   <p>:{cases}:by-score:<status|all>      zset, score 0, members <hex(score ?? -1)>|<hex(txTimeMs)>|<id>
 *   <p>:{cases}:by-time:<status|all>       zset, score 0, members <hex(txTimeMs)>|<id>
 *   <p>:{cases}:by-resolution              zset, score 0, members <hex(resolvedAtMs)>|<id>
 *   <p>:{audit}                            list of AuditEntry JSON, newest first, capped (100,000)
 *   <p>:{audit}:<target>                   list, the same per target, capped (10,000)
 *
 * (<status> is open, assigned or resolved; ids and targets are escaped as in
 * keys.ts.) The index members all have score 0 and are ordered by their bytes,
 * which encode the full sort key, so a page is one `ZRANGE ... BYLEX [REV]
 * LIMIT` starting strictly after the cursor's member: exact keyset pagination
 * in O(log n + page), however many cases tie on the risk score.
 *
 * Listing: walk the index of the query's status (or `all`) in batches, fetch
 * the records (one pipeline per batch), keep those matching the filters (and
 * whose current index member is the one walked, so a case moved by a
 * concurrent update is never returned twice), until limit + 1 hits or the end.
 * A time listing narrows the walk to [from, to) itself.
 *
 * Failure: an owned client never queues commands while Redis is down and times
 * them out, so every operation fails fast with CaseStoreUnavailableError; it
 * reconnects in the background. A shared client (`redis` option) keeps its own
 * settings; operations still fail at once while it is not connected.
 */
import { Redis } from 'ioredis';
import type { AuditEntry, CaseRecord } from '../../domain/case.js';
import {
  CaseStoreCorruptError,
  CaseStoreRejectedError,
  CaseStoreUnavailableError,
  caseIndexKeys,
  checkAuditEntry,
  checkAuditQuery,
  checkCase,
  checkQuery,
  checkResolvedQuery,
  checkUpdate,
  compareKeys,
  encodeCursor,
  idOfIndexKey,
  resolveAuditCaps,
  sortableHex,
  type AuditCaps,
  type CasePage,
  type CaseQuery,
  type CaseStore,
  type CursorKind,
} from '../case-store.js';
import { VetoError } from '../../engine/errors.js';
import { RedisGuard } from './connection-guard.js';
import { callCaseScript, defineCaseScripts, redisCaseKeys, type CaseIndexName, type RedisCaseKeys } from './case-keys.js';

export { redisCaseKeys, callCaseScript, caseScriptSource, defineCaseScripts, CASE_SCRIPT_NAMES, type RedisCaseKeys, type CaseIndexName, type CaseScriptName } from './case-keys.js';

export interface RedisCaseStoreOptions extends AuditCaps {
  /** redis://[user:password@]host:port[/db]; a client of its own (closed by close()). */
  readonly url?: string;
  /** An existing client to share (close() leaves it open). Give `url` or `redis`, not both. */
  readonly redis?: Redis;
  /** Namespace of every key, e.g. 'veto' (no braces). */
  readonly prefix: string;
  /** Own client: TCP connect timeout, and the longest an operation waits for a connection attempt in progress. Default 1000. */
  readonly connectTimeoutMs?: number;
  /** Own client: a command without a reply after this long fails. Default 2000. */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** Records fetched per round trip when filters may drop many of them. */
const FILTERED_BATCH = 200;

/** Error replies meaning "Redis cannot serve right now", not "this command is wrong". */
const UNAVAILABLE_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'OOM', 'CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS', 'MISCONF']);

interface Walk {
  readonly op: string;
  readonly index: string;
  readonly kind: CursorKind;
  /** Descending (REV) or ascending. */
  readonly rev: boolean;
  /** First bound of ZRANGE BYLEX: max when rev, min otherwise ('(member', '[member', '+' or '-'). */
  readonly start: string;
  readonly end: string;
  readonly limit: number;
  readonly batch: number;
  accept(record: CaseRecord, member: string): boolean;
}

export class RedisCaseStore implements CaseStore {
  readonly keys: RedisCaseKeys;
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly auditCap: number;
  private readonly auditTargetCap: number;
  private readonly connectTimeoutMs: number;
  private readonly guard: RedisGuard;

  constructor(options: RedisCaseStoreOptions) {
    this.keys = redisCaseKeys(options.prefix);
    ({ auditCap: this.auditCap, auditTargetCap: this.auditTargetCap } = resolveAuditCaps(options));
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if ((options.url === undefined) === (options.redis === undefined)) {
      throw new RangeError('RedisCaseStore needs either `url` or `redis` (an existing client), not both or neither');
    }
    if (options.redis !== undefined) {
      this.redis = options.redis;
      this.owned = false;
    } else {
      this.redis = new Redis(options.url as string, {
        connectTimeout: this.connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        // Commands in flight when the connection drops fail at once (never resent later behind the caller's back).
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: (times) => Math.min(250 * times, 1000),
      });
      this.owned = true;
    }
    this.guard = new RedisGuard(this.redis, {
      what: 'case store',
      connectTimeoutMs: this.connectTimeoutMs,
      unavailable: (message, o) => new CaseStoreUnavailableError(message, o),
      mapError: (op, error) => toCaseStoreError(op, error),
    });
    defineCaseScripts(this.redis);
  }

  /** Resolves once connected; rejects with CaseStoreUnavailableError if the attempt in progress fails or Redis is down. */
  async connect(): Promise<void> {
    await this.whenReady('connect');
  }

  async open(c: CaseRecord): Promise<boolean> {
    checkCase(c);
    return this.run('open', async () => {
      const { score, time, resolved } = caseIndexKeys(c);
      const reply = await callCaseScript(this.redis, 'case-open', this.keys.scriptKeys(c.id), [
        JSON.stringify(c),
        String(c.version),
        c.status,
        score,
        time,
        resolved ?? '',
      ]);
      if (reply !== 0 && reply !== 1) throw new CaseStoreCorruptError(this.keys.caseKey(c.id), `open: unexpected reply ${JSON.stringify(reply)}`);
      return reply === 1;
    });
  }

  get(id: string): Promise<CaseRecord | undefined> {
    return this.run('get', async () => {
      const key = this.keys.caseKey(id);
      const json = await this.redis.hget(key, 'json');
      return json === null ? undefined : parseCase(key, id, json);
    });
  }

  async list(q: CaseQuery): Promise<CasePage> {
    const query = checkQuery(q);
    const index: CaseIndexName = query.status ?? 'all';
    const filtered = q.decision !== undefined || q.accountId !== undefined || (query.kind === 'score' && (query.fromMs !== undefined || query.toMs !== undefined));
    const batch = filtered ? Math.max(query.limit + 1, FILTERED_BATCH) : query.limit + 1;
    let start = query.after === undefined ? '+' : `(${query.after}`;
    let end = '-';
    if (query.kind === 'time') {
      // The time index is ordered by the transaction time: [from, to) is a range of it.
      if (query.toMs !== undefined) {
        const to = sortableHex(query.toMs);
        if (query.after === undefined || compareKeys(to, query.after) < 0) start = `(${to}`;
      }
      if (query.fromMs !== undefined) end = `[${sortableHex(query.fromMs)}`;
    }
    return this.run('list', () =>
      this.walk({
        op: 'list',
        index: query.kind === 'score' ? this.keys.byScore(index) : this.keys.byTime(index),
        kind: query.kind,
        rev: true,
        start,
        end,
        limit: query.limit,
        batch,
        accept: (c, member) => query.matches(c) && (query.kind === 'score' ? caseIndexKeys(c).score : caseIndexKeys(c).time) === member,
      }),
    );
  }

  async update(next: CaseRecord, expectedVersion: number): Promise<boolean> {
    checkUpdate(next, expectedVersion);
    return this.run('update', async () => {
      const { score, time, resolved } = caseIndexKeys(next);
      const reply = await callCaseScript(this.redis, 'case-update', this.keys.scriptKeys(next.id), [
        JSON.stringify(next),
        String(expectedVersion),
        String(next.version),
        next.status,
        score,
        time,
        resolved ?? '',
      ]);
      if (reply !== 1 && reply !== 0 && reply !== -1) {
        throw new CaseStoreCorruptError(this.keys.caseKey(next.id), `update: unexpected reply ${JSON.stringify(reply)}`);
      }
      return reply === 1;
    });
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    checkAuditEntry(e);
    return this.run('appendAudit', async () => {
      await callCaseScript(this.redis, 'case-audit', [this.keys.audit, this.keys.auditTarget(e.target)], [
        JSON.stringify(e),
        String(this.auditCap),
        String(this.auditTargetCap),
      ]);
    });
  }

  async audit(target?: string, limit?: number): Promise<AuditEntry[]> {
    const n = checkAuditQuery(target, limit);
    return this.run('audit', async () => {
      const key = target === undefined ? this.keys.audit : this.keys.auditTarget(target);
      const entries = await this.redis.lrange(key, 0, n - 1);
      return entries.map((json) => parseAuditEntry(key, json));
    });
  }

  async resolved(cursor: string | null, limit: number): Promise<CasePage> {
    const q = checkResolvedQuery(cursor, limit);
    return this.run('resolved', () =>
      this.walk({
        op: 'resolved',
        index: this.keys.byResolution,
        kind: 'resolved',
        rev: false,
        start: q.after === undefined ? '-' : `(${q.after}`,
        end: '+',
        limit: q.limit,
        batch: q.limit + 1,
        accept: (c, member) => c.status === 'resolved' && caseIndexKeys(c).resolved === member,
      }),
    );
  }

  /** Waits for operations in flight, then QUITs an owned client (a shared one stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.guard.closed) return;
    await this.guard.settle();
    this.guard.markClosed();
    if (!this.owned || this.redis.status === 'end') return;
    try {
      if (this.redis.status !== 'ready') throw new Error('not connected');
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** Walks an index in batches until limit + 1 accepted records or its end; the page is the first `limit`. */
  private async walk(w: Walk): Promise<CasePage> {
    const hits: { record: CaseRecord; member: string }[] = [];
    let start = w.start;
    for (;;) {
      const members = w.rev
        ? await this.redis.zrange(w.index, start, w.end, 'BYLEX', 'REV', 'LIMIT', 0, w.batch)
        : await this.redis.zrange(w.index, start, w.end, 'BYLEX', 'LIMIT', 0, w.batch);
      if (members.length === 0) break;
      const records = await this.fetch(
        w.op,
        members.map((m) => idOfIndexKey(w.kind, m)),
      );
      for (let i = 0; i < members.length && hits.length <= w.limit; i++) {
        const record = records[i];
        const member = members[i] as string;
        if (record !== undefined && w.accept(record, member)) hits.push({ record, member });
      }
      if (hits.length > w.limit || members.length < w.batch) break;
      start = `(${members[members.length - 1] as string}`;
    }
    const items = hits.slice(0, w.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((h) => h.record),
      nextCursor: hits.length > w.limit && last !== undefined ? encodeCursor(w.kind, last.member) : null,
    };
  }

  /** The records of some ids (undefined where gone), one pipeline. */
  private async fetch(op: string, ids: readonly string[]): Promise<(CaseRecord | undefined)[]> {
    const pipeline = this.redis.pipeline();
    const keys = ids.map((id) => this.keys.caseKey(id));
    for (const key of keys) pipeline.hget(key, 'json');
    const results = await pipeline.exec();
    if (results === null) throw new CaseStoreUnavailableError(`${op}: the pipeline was aborted`);
    return results.map(([error, json], i) => {
      const key = keys[i] as string;
      if (error) throw toCaseStoreError(op, error, key);
      return json === null ? undefined : parseCase(key, ids[i] as string, json as string);
    });
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.guard.run(op, fn);
  }

  private whenReady(op: string): Promise<void> {
    return this.guard.whenReady(op);
  }
}

/** Maps a Redis failure to a case-store error. */
function toCaseStoreError(op: string, error: unknown, key?: string): Error {
  if (error instanceof VetoError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.name === 'ReplyError') {
    const code = e.message.split(' ', 1)[0] ?? '';
    if (UNAVAILABLE_REPLIES.has(code)) return new CaseStoreUnavailableError(`${op}: Redis cannot serve now: ${e.message}`, { cause: e });
    if (code === 'WRONGTYPE' || /^ERR veto case-\w+: corrupt/.test(e.message)) {
      return new CaseStoreCorruptError(key, `${op}: ${e.message}`, { cause: e });
    }
    return new CaseStoreRejectedError(`${op}: Redis rejected the command: ${e.message}`, { cause: e });
  }
  // Programming errors are not store conditions: let them through unchanged.
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return e;
  return new CaseStoreUnavailableError(`${op}: Redis is unavailable: ${e.message}`, { cause: e });
}

function parseCase(key: string, id: string, json: string): CaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new CaseStoreCorruptError(key, `${key}: the case record is not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || (value as { id?: unknown }).id !== id) {
    throw new CaseStoreCorruptError(key, `${key}: the stored value is not the case ${id}`);
  }
  return value as CaseRecord;
}

function parseAuditEntry(key: string, json: string): AuditEntry {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new CaseStoreCorruptError(key, `${key}: an audit entry is not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || typeof (value as { target?: unknown }).target !== 'string') {
    throw new CaseStoreCorruptError(key, `${key}: an audit entry is not an object with a target`);
  }
  return value as AuditEntry;
}
