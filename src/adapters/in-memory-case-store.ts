/** In-process CaseStore (embedded mode, unit tests): the same semantics as Redis, the CAS check synchronous. */
import type { AuditEntry, CaseRecord } from '../domain/case.js';
import {
  caseIndexKeys,
  checkAuditEntry,
  checkAuditQuery,
  checkCase,
  checkQuery,
  checkResolvedQuery,
  checkUpdate,
  encodeCursor,
  resolveAuditCaps,
  type AuditCaps,
  type CaseIndexKeys,
} from './case-index.js';
import type { CasePage, CaseQuery, CaseStore } from './case-store.js';
// ---------------------------------------------------------------------------
// In memory.

interface Entry {
  /** The record as stored (JSON, so reads return fresh copies, exactly as from Redis). */
  readonly json: string;
  readonly record: CaseRecord;
  readonly keys: CaseIndexKeys;
  readonly scoreKey: Buffer;
  readonly timeKey: Buffer;
  readonly resolvedKey: Buffer | null;
}

function entryOf(c: CaseRecord): Entry {
  const json = JSON.stringify(c);
  const record = JSON.parse(json) as CaseRecord;
  const keys = caseIndexKeys(record);
  return {
    json,
    record,
    keys,
    scoreKey: Buffer.from(keys.score, 'utf8'),
    timeKey: Buffer.from(keys.time, 'utf8'),
    resolvedKey: keys.resolved === null ? null : Buffer.from(keys.resolved, 'utf8'),
  };
}

/** In-process CaseStore (embedded mode, unit tests): the same semantics as Redis, the CAS check synchronous. */
export class InMemoryCaseStore implements CaseStore {
  private readonly cases = new Map<string, Entry>();
  /** Oldest first (read backwards). */
  private readonly trail: string[] = [];
  private readonly byTarget = new Map<string, string[]>();
  private readonly auditCap: number;
  private readonly auditTargetCap: number;

  constructor(options: AuditCaps = {}) {
    ({ auditCap: this.auditCap, auditTargetCap: this.auditTargetCap } = resolveAuditCaps(options));
  }

  open(c: CaseRecord): Promise<boolean> {
    return attempt(() => {
      checkCase(c);
      if (this.cases.has(c.id)) return false;
      this.cases.set(c.id, entryOf(c));
      return true;
    });
  }

  get(id: string): Promise<CaseRecord | undefined> {
    const entry = this.cases.get(id);
    return Promise.resolve(entry === undefined ? undefined : (JSON.parse(entry.json) as CaseRecord));
  }

  list(q: CaseQuery): Promise<CasePage> {
    return attempt(() => {
      const query = checkQuery(q);
      const keyOf = (e: Entry) => (query.kind === 'score' ? e.scoreKey : e.timeKey);
      const after = query.after === undefined ? undefined : Buffer.from(query.after, 'utf8');
      const hits = [...this.cases.values()].filter((e) => (after === undefined || Buffer.compare(keyOf(e), after) < 0) && query.matches(e.record));
      hits.sort((a, b) => Buffer.compare(keyOf(b), keyOf(a)));
      return page(hits, query.limit, (e) => encodeCursor(query.kind, query.kind === 'score' ? e.keys.score : e.keys.time));
    });
  }

  update(next: CaseRecord, expectedVersion: number): Promise<boolean> {
    return attempt(() => {
      checkUpdate(next, expectedVersion);
      const stored = this.cases.get(next.id);
      if (stored === undefined || stored.record.version !== expectedVersion) return false;
      this.cases.set(next.id, entryOf(next));
      return true;
    });
  }

  appendAudit(e: AuditEntry): Promise<void> {
    return attempt(() => {
      checkAuditEntry(e);
      const json = JSON.stringify(e);
      push(this.trail, json, this.auditCap);
      let list = this.byTarget.get(e.target);
      if (list === undefined) this.byTarget.set(e.target, (list = []));
      push(list, json, this.auditTargetCap);
    });
  }

  audit(target?: string, limit?: number): Promise<AuditEntry[]> {
    return attempt(() => {
      const n = checkAuditQuery(target, limit);
      const list = target === undefined ? this.trail : (this.byTarget.get(target) ?? []);
      return list
        .slice(-n)
        .reverse()
        .map((json) => JSON.parse(json) as AuditEntry);
    });
  }

  resolved(cursor: string | null, limit: number): Promise<CasePage> {
    return attempt(() => {
      const q = checkResolvedQuery(cursor, limit);
      const after = q.after === undefined ? undefined : Buffer.from(q.after, 'utf8');
      const hits = [...this.cases.values()].filter(
        (e) => e.resolvedKey !== null && (after === undefined || Buffer.compare(e.resolvedKey, after) > 0),
      );
      hits.sort((a, b) => Buffer.compare(a.resolvedKey as Buffer, b.resolvedKey as Buffer));
      return page(hits, q.limit, (e) => encodeCursor('resolved', e.keys.resolved as string));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The first `limit` hits as a page; a cursor when more remain. */
function page(hits: readonly Entry[], limit: number, cursorOf: (e: Entry) => string): CasePage {
  const items = hits.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map((e) => JSON.parse(e.json) as CaseRecord),
    nextCursor: hits.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}

function push(list: string[], value: string, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
}

/** Runs a synchronous step as a promise (a throw becomes a rejection, as from Redis). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

