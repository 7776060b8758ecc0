/**
 * Review cases: a decision of `review` (or `block`, configurable) opens a case
 * for analysts. Pure types and transitions; storage is in src/adapters.
 */
import type { Decision } from './decision.js';
import type { Reason } from './policy.js';

export type CaseStatus = 'open' | 'assigned' | 'resolved';
export type Verdict = 'fraud' | 'legit';

export interface CaseRecord {
  /** The case id: the transaction's txId (one case per transaction). */
  readonly id: string;
  readonly txId: string;
  readonly accountId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly currency: string;
  /** Event time of the transaction, ISO 8601. */
  readonly timestamp: string;
  readonly decision: Decision;
  readonly score: number | null;
  readonly reasons: readonly Reason[];
  readonly features: Readonly<Record<string, number>>;
  readonly modelVersion: string;
  readonly status: CaseStatus;
  /** Optimistic concurrency: incremented by every change. */
  readonly version: number;
  readonly openedAt: string;
  readonly assignee: string | null;
  readonly assignedAt: string | null;
  readonly verdict: Verdict | null;
  readonly note: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string | null;
}

/** Who did what to which case or account, when (the analysts' audit trail). */
export interface AuditEntry {
  readonly at: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly target: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export class CaseTransitionError extends Error {
  readonly code = 'CASE_CONFLICT';
}

export function assignCase(c: CaseRecord, analyst: string, atIso: string): CaseRecord {
  if (c.status === 'resolved') throw new CaseTransitionError(`case ${c.id} is already resolved`);
  return { ...c, status: 'assigned', assignee: analyst, assignedAt: atIso, version: c.version + 1 };
}

export function resolveCase(c: CaseRecord, analyst: string, verdict: Verdict, note: string | null, atIso: string): CaseRecord {
  if (c.status === 'resolved') throw new CaseTransitionError(`case ${c.id} is already resolved`);
  return { ...c, status: 'resolved', verdict, note, resolvedBy: analyst, resolvedAt: atIso, version: c.version + 1 };
}
