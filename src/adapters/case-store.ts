/**
 * The case store: review cases (one per transaction), their status queues and
 * the analysts' audit trail. Redis in production (redis/redis-case-store.ts),
 * Maps in embedded mode and unit tests (`InMemoryCaseStore`, below). Both pass
 * the same behavioural suite (test/unit/case-store-contract.ts).
 *
 * Ordering. Every case has three index keys (strings compared byte-wise, as
 * Redis compares sorted-set members):
 *
 *   score key     <hex(score ?? -1)>|<hex(txTimeMs)>|<id>
 *   time key      <hex(txTimeMs)>|<id>
 *   resolved key  <hex(resolvedAtMs)>|<id>        (resolved cases only)
 *
 * where hex(x) is a 16-digit hex form of the double x that sorts like x. A
 * listing by score walks the score keys downwards (highest risk first, null
 * scores last, ties by newest transaction, then by id); by time it walks the
 * time keys downwards (newest transaction first); `resolved()` walks the
 * resolved keys upwards (oldest resolution first, so an exporter that keeps
 * its cursor sees every later resolution exactly once).
 *
 * Cursors are opaque (base64url of the sort and the last returned item's key):
 * the next page starts strictly after that key, so pages never repeat or skip
 * an item that existed throughout, whatever arrives or leaves in between.
 * `nextCursor` is null exactly when no further item matched at the time.
 */
import type { CaseRecord, AuditEntry, CaseStatus } from '../domain/case.js';
import type { Decision } from '../domain/decision.js';

export interface CaseQuery {
  /** Default: any status. */
  status?: CaseStatus;
  decision?: Decision;
  accountId?: string;
  /** ISO times, on the transaction timestamp: [from, to). */
  from?: string;
  to?: string;
  /** score: highest risk first (null scores last), ties by newest; time: newest first. */
  sort: 'score' | 'time';
  /** 1..200 */
  limit: number;
  /** Opaque, from the previous page. */
  cursor?: string;
}

export interface CasePage {
  items: CaseRecord[];
  nextCursor: string | null;
}

export interface CaseStore {
  /** Creates if absent (idempotent by id); false if it existed (nothing is written then). */
  open(c: CaseRecord): Promise<boolean>;
  get(id: string): Promise<CaseRecord | undefined>;
  list(q: CaseQuery): Promise<CasePage>;
  /**
   * Compare-and-set: writes `next` only if the stored version equals
   * `expectedVersion`; false on conflict (the loser) or when the case does not
   * exist. `next.version` must be `expectedVersion + 1`.
   */
  update(next: CaseRecord, expectedVersion: number): Promise<boolean>;
  appendAudit(e: AuditEntry): Promise<void>;
  /** Newest first; the whole trail, or one target's (a case id, an account id). Default limit 100, at most 1000. */
  audit(target?: string, limit?: number): Promise<AuditEntry[]>;
  /** Resolved cases (for exporting labels), oldest resolution first, paginated by an opaque cursor. Limit 1..1000. */
  resolved(cursor: string | null, limit: number): Promise<CasePage>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Errors: one class per condition.

export * from './case-errors.js';
export * from './case-index.js';
export { InMemoryCaseStore } from './in-memory-case-store.js';
