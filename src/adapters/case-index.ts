/**
 * The case index shared by both case stores: limits, the byte-ordered index
 * keys and cursors (see case-store.ts), and validation of records, updates,
 * audit entries and queries.
 */
import type { AuditEntry, CaseRecord, CaseStatus } from '../domain/case.js';
import type { Decision } from '../domain/decision.js';
import { CaseStoreRejectedError, InvalidCaseQueryError } from './case-errors.js';
import type { CaseQuery } from './case-store.js';
// ---------------------------------------------------------------------------
// Limits.

export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'assigned', 'resolved'];
const DECISIONS: readonly Decision[] = ['allow', 'review', 'block'];

export const MAX_LIST_LIMIT = 200;
export const MAX_RESOLVED_LIMIT = 1000;
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;
/** Entries kept in the whole audit trail (older ones are dropped). */
export const DEFAULT_AUDIT_CAP = 100_000;
/** Entries kept per audit target. */
export const DEFAULT_AUDIT_TARGET_CAP = 10_000;

export interface AuditCaps {
  /** Entries kept in the whole trail. Default 100,000. */
  readonly auditCap?: number;
  /** Entries kept per target. Default 10,000. */
  readonly auditTargetCap?: number;
}

export function resolveAuditCaps(caps: AuditCaps = {}): { auditCap: number; auditTargetCap: number } {
  const auditCap = caps.auditCap ?? DEFAULT_AUDIT_CAP;
  const auditTargetCap = caps.auditTargetCap ?? DEFAULT_AUDIT_TARGET_CAP;
  for (const [name, value] of [['auditCap', auditCap], ['auditTargetCap', auditTargetCap]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return { auditCap, auditTargetCap };
}

// ---------------------------------------------------------------------------
// Index keys.

/** 16 hex digits of a double, ordered like the number when compared as strings (-0 counts as 0). */
export function sortableHex(x: number): string {
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(x === 0 ? 0 : x);
  if ((buf[0] as number) & 0x80) {
    for (let i = 0; i < 8; i++) buf[i] = ~(buf[i] as number) & 0xff;
  } else {
    buf[0] = (buf[0] as number) | 0x80;
  }
  return buf.toString('hex');
}

/** Length of `<hex>|`. */
const HEX_FIELD = 17;
const SCORE_KEY = /^[0-9a-f]{16}\|[0-9a-f]{16}\|/;
const TIME_KEY = /^[0-9a-f]{16}\|/;

export interface CaseIndexKeys {
  readonly score: string;
  readonly time: string;
  /** Null unless resolved. */
  readonly resolved: string | null;
}

/** The index keys of a (valid, see checkCase) record. */
export function caseIndexKeys(c: CaseRecord): CaseIndexKeys {
  const time = sortableHex(Date.parse(c.timestamp));
  return {
    score: `${sortableHex(c.score ?? -1)}|${time}|${c.id}`,
    time: `${time}|${c.id}`,
    resolved: c.status === 'resolved' ? `${sortableHex(Date.parse(c.resolvedAt as string))}|${c.id}` : null,
  };
}

/** The case id inside an index key. */
export function idOfIndexKey(kind: CursorKind, key: string): string {
  return key.slice(kind === 'score' ? 2 * HEX_FIELD : HEX_FIELD);
}

/** Byte-wise (UTF-8) comparison, as Redis orders sorted-set members of equal score. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---------------------------------------------------------------------------
// Cursors.

export type CursorKind = 'score' | 'time' | 'resolved';

export function encodeCursor(kind: CursorKind, key: string): string {
  return Buffer.from(JSON.stringify({ s: kind, k: key }), 'utf8').toString('base64url');
}

/** The index key a cursor continues after; InvalidCaseQueryError if it is not a cursor of this kind. */
export function decodeCursor(kind: CursorKind, cursor: string): string {
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCaseQueryError('invalid cursor', { cause });
  }
  const { s, k } = (typeof value === 'object' && value !== null ? value : {}) as { s?: unknown; k?: unknown };
  if (typeof k !== 'string' || !(kind === 'score' ? SCORE_KEY : TIME_KEY).test(k) || idOfIndexKey(kind, k) === '') {
    throw new InvalidCaseQueryError('invalid cursor');
  }
  if (s !== kind) {
    throw new InvalidCaseQueryError(`the cursor belongs to ${typeof s === 'string' ? `a '${s}' listing` : 'another listing'}, not to '${kind}'`);
  }
  return k;
}

// ---------------------------------------------------------------------------
// Validation, shared by both stores so they accept and refuse the same things.

function isTime(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}

/** Throws CaseStoreRejectedError unless the fields the store relies on are valid. */
export function checkCase(c: CaseRecord): void {
  const bad = (why: string) => new CaseStoreRejectedError(`case ${JSON.stringify((c as { id?: unknown })?.id)}: ${why}`);
  if (typeof c !== 'object' || c === null) throw new CaseStoreRejectedError('a case must be an object');
  if (typeof c.id !== 'string' || c.id === '') throw bad('id must be a non-empty string');
  if (!CASE_STATUSES.includes(c.status)) throw bad(`invalid status ${JSON.stringify(c.status)}`);
  if (!DECISIONS.includes(c.decision)) throw bad(`invalid decision ${JSON.stringify(c.decision)}`);
  if (typeof c.accountId !== 'string') throw bad('accountId must be a string');
  if (!Number.isSafeInteger(c.version) || c.version < 0) throw bad(`version must be a non-negative integer, got ${c.version}`);
  if (c.score !== null && (typeof c.score !== 'number' || !Number.isFinite(c.score))) throw bad(`score must be a finite number or null, got ${c.score}`);
  if (!isTime(c.timestamp)) throw bad(`timestamp must be an ISO time, got ${JSON.stringify(c.timestamp)}`);
  if (c.status === 'resolved' && !isTime(c.resolvedAt)) throw bad(`a resolved case needs resolvedAt, got ${JSON.stringify(c.resolvedAt)}`);
}

/** Throws CaseStoreRejectedError unless `next` may replace the version `expectedVersion`. */
export function checkUpdate(next: CaseRecord, expectedVersion: number): void {
  checkCase(next);
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new CaseStoreRejectedError(`case ${next.id}: expectedVersion must be a non-negative integer, got ${expectedVersion}`);
  }
  if (next.version !== expectedVersion + 1) {
    throw new CaseStoreRejectedError(`case ${next.id}: the new version must be expectedVersion + 1 = ${expectedVersion + 1}, got ${next.version}`);
  }
}

export function checkAuditEntry(e: AuditEntry): void {
  if (typeof e !== 'object' || e === null) throw new CaseStoreRejectedError('an audit entry must be an object');
  if (typeof e.target !== 'string' || e.target === '') throw new CaseStoreRejectedError('an audit entry needs a non-empty target');
  for (const field of ['at', 'actor', 'role', 'action'] as const) {
    if (typeof e[field] !== 'string') throw new CaseStoreRejectedError(`audit entry: ${field} must be a string`);
  }
}

/** The audit limit (default 100); InvalidCaseQueryError when out of 1..1000 or the target is empty. */
export function checkAuditQuery(target: string | undefined, limit: number | undefined): number {
  if (target !== undefined && (typeof target !== 'string' || target === '')) throw new InvalidCaseQueryError('the audit target must be a non-empty string');
  const n = limit ?? DEFAULT_AUDIT_LIMIT;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_AUDIT_LIMIT) {
    throw new InvalidCaseQueryError(`the audit limit must be an integer in 1..${MAX_AUDIT_LIMIT}, got ${limit}`);
  }
  return n;
}

/** A validated query: the index it walks and where, plus the filters applied to each record. */
export interface CheckedQuery {
  readonly kind: 'score' | 'time';
  readonly status: CaseStatus | undefined;
  readonly limit: number;
  /** The listing continues with keys strictly below this (undefined: from the top). */
  readonly after: string | undefined;
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  matches(c: CaseRecord): boolean;
}

export function checkQuery(q: CaseQuery): CheckedQuery {
  if (typeof q !== 'object' || q === null) throw new InvalidCaseQueryError('a query must be an object');
  if (q.sort !== 'score' && q.sort !== 'time') throw new InvalidCaseQueryError(`sort must be 'score' or 'time', got ${JSON.stringify(q.sort)}`);
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIST_LIMIT) {
    throw new InvalidCaseQueryError(`limit must be an integer in 1..${MAX_LIST_LIMIT}, got ${q.limit}`);
  }
  if (q.status !== undefined && !CASE_STATUSES.includes(q.status)) throw new InvalidCaseQueryError(`invalid status ${JSON.stringify(q.status)}`);
  if (q.decision !== undefined && !DECISIONS.includes(q.decision)) throw new InvalidCaseQueryError(`invalid decision ${JSON.stringify(q.decision)}`);
  if (q.accountId !== undefined && typeof q.accountId !== 'string') throw new InvalidCaseQueryError('accountId must be a string');
  const time = (name: 'from' | 'to'): number | undefined => {
    const value = q[name];
    if (value === undefined) return undefined;
    if (!isTime(value)) throw new InvalidCaseQueryError(`${name} must be an ISO time, got ${JSON.stringify(value)}`);
    return Date.parse(value);
  };
  const fromMs = time('from');
  const toMs = time('to');
  const after = q.cursor === undefined ? undefined : decodeCursor(q.sort, q.cursor);
  const { status, decision, accountId } = q;
  return {
    kind: q.sort,
    status,
    limit: q.limit,
    after,
    fromMs,
    toMs,
    matches: (c) => {
      if (status !== undefined && c.status !== status) return false;
      if (decision !== undefined && c.decision !== decision) return false;
      if (accountId !== undefined && c.accountId !== accountId) return false;
      if (fromMs === undefined && toMs === undefined) return true;
      const t = Date.parse(c.timestamp);
      return (fromMs === undefined || t >= fromMs) && (toMs === undefined || t < toMs);
    },
  };
}

/** The limit of a resolved() page and the key it continues after. */
export function checkResolvedQuery(cursor: string | null, limit: number): { limit: number; after: string | undefined } {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RESOLVED_LIMIT) {
    throw new InvalidCaseQueryError(`limit must be an integer in 1..${MAX_RESOLVED_LIMIT}, got ${limit}`);
  }
  if (cursor !== null && typeof cursor !== 'string') throw new InvalidCaseQueryError('the cursor must be a string or null');
  return { limit, after: cursor === null ? undefined : decodeCursor('resolved', cursor) };
}

