/**
 * Analyst review: opens cases for review/block decisions, assigns and
 * resolves them with optimistic concurrency, feeds verdicts back as fraud
 * labels (the same path as a chargeback), blocks and unblocks accounts, and
 * records every analyst action in the audit trail.
 */
import type { DecisionRecord, DecisionStore } from '../adapters/decision-store.js';
import type { CaseStore } from '../adapters/case-store.js';
import { assignCase, resolveCase, type AuditEntry, type CaseRecord, type Verdict } from '../domain/case.js';
import type { LabelEvent } from '../domain/events.js';
import type { EntityRegistry } from './entities.js';
import { VetoError } from './errors.js';

export class CaseNotFoundError extends VetoError {
  constructor(id: string) {
    super('NOT_FOUND', `no case ${id}`);
  }
}

export class CaseConflictError extends VetoError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export interface Caller {
  readonly name: string;
  readonly role: string;
}

export interface ReviewOptions {
  /** Open cases for `block` decisions too (review decisions always open one). */
  readonly casesForBlock: boolean;
  /** A `fraud` verdict blocks the account. */
  readonly blockOnFraud: boolean;
}

export interface ReviewDeps {
  readonly cases: CaseStore;
  readonly decisions: DecisionStore;
  readonly registry: EntityRegistry;
  /** Delivers a label like a chargeback (service mode: published on `<prefix>.label.<accountId>`). */
  readonly emitLabel: (label: LabelEvent) => Promise<void>;
  /** Makes an account's new state durable and effective at once (service mode: restore + commit). */
  readonly withAccount: <T>(accountId: string, change: () => T) => Promise<T>;
  readonly options: ReviewOptions;
  readonly now?: () => number;
}

export class ReviewService {
  private readonly now: () => number;

  constructor(private readonly deps: ReviewDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Called for every recorded decision: opens a case when the policy asks for one. Idempotent. */
  async onDecision(record: DecisionRecord): Promise<void> {
    if (record.decision === 'allow' || (record.decision === 'block' && !this.deps.options.casesForBlock)) return;
    await this.deps.cases.open({
      id: record.txId,
      txId: record.txId,
      accountId: record.accountId,
      terminalId: record.terminalId,
      amount: record.amount,
      currency: record.currency,
      timestamp: record.timestamp,
      decision: record.decision,
      score: record.score,
      reasons: record.reasons,
      features: record.features,
      modelVersion: record.modelVersion,
      status: 'open',
      version: 1,
      openedAt: record.decidedAt,
      assignee: null,
      assignedAt: null,
      verdict: null,
      note: null,
      resolvedBy: null,
      resolvedAt: null,
    });
  }

  async get(id: string): Promise<CaseRecord> {
    const c = await this.deps.cases.get(id);
    if (c === undefined) throw new CaseNotFoundError(id);
    return c;
  }

  async assign(id: string, caller: Caller, analyst = caller.name): Promise<CaseRecord> {
    const current = await this.get(id);
    const next = this.transition(() => assignCase(current, analyst, this.iso()));
    if (!(await this.deps.cases.update(next, current.version))) throw new CaseConflictError(`case ${id} was changed by someone else; reload it`);
    await this.audit(caller, 'case.assign', id, { assignee: analyst });
    return next;
  }

  async resolve(id: string, caller: Caller, verdict: Verdict, note: string | null): Promise<CaseRecord> {
    const current = await this.get(id);
    const next = this.transition(() => resolveCase(current, caller.name, verdict, note, this.iso()));
    if (!(await this.deps.cases.update(next, current.version))) throw new CaseConflictError(`case ${id} was resolved or changed by someone else`);
    await this.audit(caller, 'case.resolve', id, { verdict, note });
    await this.deps.emitLabel({
      txId: current.txId,
      accountId: current.accountId,
      terminalId: current.terminalId,
      txTimestampMs: Date.parse(current.timestamp),
      label: verdict,
      source: 'analyst',
      timestampMs: this.now(),
    });
    if (verdict === 'fraud' && this.deps.options.blockOnFraud) {
      await this.block(current.accountId, `fraud confirmed on case ${id}`, caller, false);
    }
    return next;
  }

  async block(accountId: string, reason: string, caller: Caller, audit = true): Promise<void> {
    await this.deps.withAccount(accountId, () => this.deps.registry.block(accountId, reason, caller.name, this.now()));
    if (audit) await this.audit(caller, 'account.block', accountId, { reason });
    else await this.audit(caller, 'account.block', accountId, { reason, automatic: true });
  }

  async unblock(accountId: string, reason: string, caller: Caller): Promise<void> {
    await this.deps.withAccount(accountId, () => this.deps.registry.unblock(accountId, reason, caller.name, this.now()));
    await this.audit(caller, 'account.unblock', accountId, { reason });
  }

  async audit(caller: Caller, action: string, target: string, detail?: Record<string, unknown>): Promise<void> {
    const entry: AuditEntry = { at: this.iso(), actor: caller.name, role: caller.role, action, target, ...(detail ? { detail } : {}) };
    await this.deps.cases.appendAudit(entry);
  }

  private transition(change: () => CaseRecord): CaseRecord {
    try {
      return change();
    } catch (error) {
      throw new CaseConflictError((error as Error).message);
    }
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}
