/**
 * The durable event path: a batch of JetStream messages (in stream order) →
 * decode and validate (bad ones to the dead-letter subject) → restore the
 * actors they need from the feature store → apply every event in order →
 * score the transactions together → commit terminals, then accounts with their
 * decisions → publish decisions → ack. Nothing is acked before its effect is
 * durable; a batch that cannot be committed is not acked (it will be
 * redelivered) and its actors are dropped so the redelivery re-applies it to
 * the committed state.
 *
 * Exactly-once effects: an account snapshot carries the stream sequence of
 * the last event it applied, so a redelivered event (seq ≤ that) is skipped;
 * a transaction whose txId already has a recorded decision (a publisher retry
 * outside the stream's duplicate window, or the HTTP path) is skipped too; and
 * terminals apply a txId once.
 */
import type { DecisionRecord } from '../adapters/decision-store.js';
import type { StateStore } from '../adapters/state-store.js';
import {
  validateAccountEvent,
  validateLabel,
  validateTransaction,
  type AccountEventPayload,
  type LabelPayload,
  type TransactionPayload,
} from '../domain/event-schemas.js';
import type { DecisionEngine } from './engine.js';
import type { EntityRegistry } from './entities.js';
import { VetoError } from './errors.js';

export interface InboundEvent {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly redelivered: boolean;
  readonly headers?: Record<string, string>;
}

export interface BatchResult {
  readonly ack: number[];
}

export type DlqReason = 'invalid-json' | 'invalid-event' | 'unknown-subject' | 'subject-mismatch' | 'rejected';

/** Where the processor's outputs go (NATS in production; arrays in unit tests). */
export interface EventOutputs {
  publishDecision(record: DecisionRecord): Promise<void>;
  deadLetter(reason: DlqReason, event: InboundEvent, error: string): Promise<void>;
}

export interface EventProcessorOptions {
  readonly prefix: string;
  readonly maxResident: number;
  readonly idleMs: number;
  readonly now?: () => number;
}

type Decoded =
  | { kind: 'tx'; ev: InboundEvent; accountId: string; payload: TransactionPayload }
  | { kind: 'account'; ev: InboundEvent; accountId: string; payload: AccountEventPayload }
  | { kind: 'label'; ev: InboundEvent; accountId: string; payload: LabelPayload };

const decoder = new TextDecoder('utf-8', { fatal: true });

export class EventProcessor {
  private readonly now: () => number;

  constructor(
    private readonly engine: DecisionEngine,
    private readonly registry: EntityRegistry,
    private readonly store: StateStore,
    private readonly outputs: EventOutputs,
    private readonly options: EventProcessorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Processes one batch; throws (acking nothing) when the store or the decision stream is unavailable. */
  async process(batch: readonly InboundEvent[]): Promise<BatchResult> {
    const ack: number[] = [];
    const valid: Decoded[] = [];
    for (const ev of batch) {
      const d = this.decode(ev);
      if ('reason' in d) {
        await this.outputs.deadLetter(d.reason, ev, d.error);
        ack.push(ev.seq);
      } else valid.push(d);
    }
    if (valid.length === 0) return { ack };

    const touchedAccounts = new Set<string>();
    const touchedTerminals = new Set<string>();
    try {
      const known = await this.loadState(valid);
      const decisions: Promise<DecisionRecord>[] = [];
      const republish: DecisionRecord[] = [];
      const seenTx = new Set<string>();
      for (const d of valid) {
        const { ev, accountId } = d;
        if (ev.seq <= this.registry.accounts.seq(accountId)) {
          // Already applied and committed before a crash or a lost ack.
          if (d.kind === 'tx') {
            const recorded = known.get(d.payload.txId);
            if (recorded) republish.push(recorded);
          }
          ack.push(ev.seq);
          continue;
        }
        try {
          if (d.kind === 'tx') {
            const recorded = known.get(d.payload.txId);
            if (recorded !== undefined || seenTx.has(d.payload.txId)) {
              if (recorded) republish.push(recorded);
              ack.push(ev.seq);
              continue;
            }
            seenTx.add(d.payload.txId);
            const applied = this.engine.apply(d.payload, ev.seq);
            decisions.push(this.engine.decide(d.payload, applied));
            touchedTerminals.add(d.payload.terminalId);
          } else if (d.kind === 'account') {
            this.applyAccountEvent(d.payload, ev.seq);
          } else {
            const tx = known.get(d.payload.txId);
            const ts = Date.parse(d.payload.timestamp);
            this.registry.applyLabel(
              {
                txId: d.payload.txId,
                accountId,
                label: d.payload.label,
                source: d.payload.source,
                timestampMs: ts,
                ...(tx ? { terminalId: tx.terminalId, txTimestampMs: Date.parse(tx.timestamp) } : {}),
              },
              ev.seq,
            );
            if (tx) touchedTerminals.add(tx.terminalId);
          }
          touchedAccounts.add(accountId);
          ack.push(ev.seq);
        } catch (error) {
          if (!(error instanceof VetoError)) throw error;
          // The event is refused by the engine (its actors are unchanged): dead-letter it.
          await this.outputs.deadLetter('rejected', ev, `${error.code}: ${error.message}`);
          ack.push(ev.seq);
        }
      }
      const records = await Promise.all(decisions);
      await this.commit(touchedTerminals, touchedAccounts, records);
      await Promise.all([...records, ...republish].map((r) => this.outputs.publishDecision(r)));
      // Review cases (idempotent): a failure leaves the batch unacked, the redelivery opens them.
      await Promise.all([...records, ...republish].map((r) => this.engine.notifyRecorded(r)));
    } catch (error) {
      // Nothing of this batch is acknowledged: drop what it changed in memory, so
      // the redelivery re-applies it to the committed state.
      for (const id of touchedAccounts) this.registry.accounts.evict(id);
      for (const id of touchedTerminals) this.registry.terminals.evict(id);
      throw error;
    }
    this.passivate();
    return { ack };
  }

  private decode(ev: InboundEvent): Decoded | { reason: DlqReason; error: string } {
    const parts = ev.subject.split('.');
    const prefixTokens = this.options.prefix.split('.').length;
    const kind = parts[prefixTokens];
    const subjectAccount = parts[prefixTokens + 1];
    if (parts.length !== prefixTokens + 2 || subjectAccount === undefined || (kind !== 'tx' && kind !== 'account' && kind !== 'label')) {
      return { reason: 'unknown-subject', error: `no event kind for subject ${ev.subject}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(ev.data));
    } catch (error) {
      return { reason: 'invalid-json', error: (error as Error).message };
    }
    const checked = kind === 'tx' ? validateTransaction.check(json) : kind === 'account' ? validateAccountEvent.check(json) : validateLabel.check(json);
    if (!checked.ok) return { reason: 'invalid-event', error: checked.problems.join('; ') };
    const value = checked.value as { accountId?: string };
    if (value.accountId !== undefined && value.accountId !== subjectAccount) {
      return { reason: 'subject-mismatch', error: `payload accountId ${value.accountId} ≠ subject account ${subjectAccount}` };
    }
    return { kind, ev, accountId: subjectAccount, payload: checked.value } as Decoded;
  }

  /** Restores non-resident actors from the store and returns recorded decisions of the batch's txIds. */
  private async loadState(valid: readonly Decoded[]): Promise<Map<string, DecisionRecord>> {
    const accounts = new Set<string>();
    const terminals = new Set<string>();
    const txIds = new Set<string>();
    for (const d of valid) {
      if (!this.registry.accounts.has(d.accountId)) accounts.add(d.accountId);
      if (d.kind === 'tx') {
        if (!this.registry.terminals.has(d.payload.terminalId)) terminals.add(d.payload.terminalId);
        txIds.add(d.payload.txId);
      } else if (d.kind === 'label') txIds.add(d.payload.txId);
    }
    const [loaded, records] = await Promise.all([
      this.store.loadMany([...accounts], [...terminals]),
      Promise.all([...txIds].map((id) => this.store.get(id))),
    ]);
    for (const [id, s] of loaded.accounts) if (!this.registry.accounts.has(id)) this.registry.accounts.restore(id, s.snapshot, s.seq);
    for (const [id, s] of loaded.terminals) if (!this.registry.terminals.has(id)) this.registry.terminals.restore(id, s.snapshot, s.seq);
    const known = new Map<string, DecisionRecord>();
    for (const r of records) if (r) known.set(r.txId, r);
    // A label's terminal may not be resident either.
    const labelTerminals = valid.flatMap((d) => (d.kind === 'label' ? [known.get(d.payload.txId)?.terminalId] : []));
    const missing = [...new Set(labelTerminals)].filter((t): t is string => t !== undefined && !this.registry.terminals.has(t));
    if (missing.length > 0) {
      const more = await this.store.loadMany([], missing);
      for (const [id, s] of more.terminals) if (!this.registry.terminals.has(id)) this.registry.terminals.restore(id, s.snapshot, s.seq);
    }
    return known;
  }

  private applyAccountEvent(e: AccountEventPayload, seq: number): void {
    const ts = Date.parse(e.timestamp);
    if (e.type === 'block') this.registry.block(e.accountId, e.reason ?? 'account event', e.by ?? 'event', ts, seq);
    else if (e.type === 'unblock') this.registry.unblock(e.accountId, e.reason ?? 'account event', e.by ?? 'event', ts, seq);
    else this.registry.accountEvent(e.accountId, e.type, ts, seq);
  }

  private async commit(terminalIds: Set<string>, accountIds: Set<string>, records: readonly DecisionRecord[]): Promise<void> {
    const byAccount = new Map<string, DecisionRecord[]>();
    for (const r of records) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
    const terminals = [...terminalIds].flatMap((id) => {
      const p = this.registry.terminals.persisted(id);
      return p ? [{ terminalId: id, snapshot: p }] : [];
    });
    const accounts = [...accountIds].flatMap((id) => {
      const p = this.registry.accounts.persisted(id);
      return p ? [{ accountId: id, snapshot: p, decisions: byAccount.get(id) ?? [] }] : [];
    });
    await this.store.commit(terminals, accounts);
    this.registry.terminals.markClean(terminalIds);
    this.registry.accounts.markClean(accountIds);
  }

  private passivate(): void {
    const idleBefore = this.now() - this.options.idleMs;
    this.registry.accounts.evictBeyond(this.options.maxResident, idleBefore);
    this.registry.terminals.evictBeyond(this.options.maxResident, idleBefore);
  }
}
