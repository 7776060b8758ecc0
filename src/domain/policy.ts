/**
 * The decision policy: model score + facts → allow / review / block with
 * reasons. Pure. Every rule proposes a decision; the strongest wins
 * (allow < review < block).
 *
 * - Hard rules always apply: blocked account, block lists (account, terminal,
 *   device), the amount limit (block) and the review amount limit.
 * - Score rules: score ≥ block threshold → block, ≥ review threshold → review.
 *   An allow-listed account, terminal or device skips the score rules (never
 *   the hard rules).
 * - Without a score (scoring failed or exceeded its budget) the fallback
 *   decides: fail-open → allow, fail-closed → block, with a `SCORING_DEGRADED` reason.
 */
import { strongest, type Decision } from './decision.js';

export interface Reason {
  readonly code: string;
  readonly detail: string;
}

export interface PolicyLists {
  readonly blockAccounts: ReadonlySet<string>;
  readonly allowAccounts: ReadonlySet<string>;
  readonly blockTerminals: ReadonlySet<string>;
  readonly allowTerminals: ReadonlySet<string>;
  readonly blockDevices: ReadonlySet<string>;
  readonly allowDevices: ReadonlySet<string>;
}

export interface Policy {
  readonly thresholds: { readonly review: number; readonly block: number };
  /** Amounts above this are blocked (undefined: no limit). */
  readonly maxAmount?: number;
  /** Amounts above this go to review at least (undefined: no limit). */
  readonly reviewAmount?: number;
  readonly lists: PolicyLists;
  /** What to answer when no score is available. */
  readonly fallback: 'open' | 'closed';
}

export interface PolicyFacts {
  readonly accountId: string;
  readonly terminalId: string;
  readonly deviceId?: string;
  readonly amount: number;
  readonly accountBlocked: boolean;
  readonly accountBlockReason?: string;
  /** Undefined when scoring is unavailable. */
  readonly score?: number;
  /** Why scoring is unavailable. */
  readonly degradedReason?: string;
}

export interface PolicyOutcome {
  readonly decision: Decision;
  readonly reasons: Reason[];
}

export const EMPTY_LISTS: PolicyLists = {
  blockAccounts: new Set(),
  allowAccounts: new Set(),
  blockTerminals: new Set(),
  allowTerminals: new Set(),
  blockDevices: new Set(),
  allowDevices: new Set(),
};

export function applyPolicy(f: PolicyFacts, p: Policy): PolicyOutcome {
  let decision: Decision = 'allow';
  const reasons: Reason[] = [];
  const propose = (d: Decision, code: string, detail: string) => {
    decision = strongest(decision, d);
    reasons.push({ code, detail });
  };

  if (f.accountBlocked) propose('block', 'ACCOUNT_BLOCKED', `account is blocked${f.accountBlockReason ? `: ${f.accountBlockReason}` : ''}`);
  if (p.lists.blockAccounts.has(f.accountId)) propose('block', 'ACCOUNT_BLOCKLISTED', 'account is on the block list');
  if (p.lists.blockTerminals.has(f.terminalId)) propose('block', 'TERMINAL_BLOCKLISTED', 'terminal is on the block list');
  if (f.deviceId !== undefined && p.lists.blockDevices.has(f.deviceId)) propose('block', 'DEVICE_BLOCKLISTED', 'device is on the block list');
  if (p.maxAmount !== undefined && f.amount > p.maxAmount) propose('block', 'AMOUNT_OVER_LIMIT', `amount ${f.amount} exceeds the limit ${p.maxAmount}`);
  else if (p.reviewAmount !== undefined && f.amount > p.reviewAmount) {
    propose('review', 'AMOUNT_OVER_REVIEW_LIMIT', `amount ${f.amount} exceeds the review limit ${p.reviewAmount}`);
  }

  const allowListed =
    p.lists.allowAccounts.has(f.accountId) ||
    p.lists.allowTerminals.has(f.terminalId) ||
    (f.deviceId !== undefined && p.lists.allowDevices.has(f.deviceId));

  if (f.score === undefined) {
    const d: Decision = p.fallback === 'closed' ? 'block' : 'allow';
    propose(d, 'SCORING_DEGRADED', `no model score (${f.degradedReason ?? 'unavailable'}); fail-${p.fallback} → ${d}`);
  } else if (allowListed) {
    reasons.push({ code: 'ALLOWLISTED', detail: 'allow-listed: score rules skipped' });
  } else if (f.score >= p.thresholds.block) {
    propose('block', 'SCORE_BLOCK', `score ${f.score.toFixed(4)} ≥ block threshold ${p.thresholds.block}`);
  } else if (f.score >= p.thresholds.review) {
    propose('review', 'SCORE_REVIEW', `score ${f.score.toFixed(4)} ≥ review threshold ${p.thresholds.review}`);
  }
  return { decision, reasons };
}
