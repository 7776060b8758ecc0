/**
 * Where decisions are recorded, by txId: the idempotency record of
 * authorization and the audit trail. The in-process store keeps the most
 * recent `capacity` decisions; the Redis store (production) keeps them for a
 * retention period.
 */
import type { Decision } from '../domain/decision.js';
import type { Reason } from '../domain/policy.js';

export interface DecisionRecord {
  readonly txId: string;
  readonly accountId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly currency: string;
  readonly deviceId?: string;
  /** Event time of the transaction, ISO 8601. */
  readonly timestamp: string;
  readonly decision: Decision;
  /** Null when scoring was unavailable (degraded). */
  readonly score: number | null;
  readonly reasons: readonly Reason[];
  readonly modelVersion: string;
  readonly features: Readonly<Record<string, number>>;
  readonly latencyMs: number;
  /** Wall-clock time of the decision, ISO 8601. */
  readonly decidedAt: string;
}

export interface DecisionStore {
  get(txId: string): Promise<DecisionRecord | undefined>;
  put(record: DecisionRecord): Promise<void>;
  /** Makes everything accepted so far durable (no-op in memory). */
  flush(): Promise<void>;
}

export class InMemoryDecisionStore implements DecisionStore {
  private readonly records = new Map<string, DecisionRecord>();

  constructor(private readonly capacity = 1_000_000) {}

  get size(): number {
    return this.records.size;
  }

  get(txId: string): Promise<DecisionRecord | undefined> {
    return Promise.resolve(this.records.get(txId));
  }

  put(record: DecisionRecord): Promise<void> {
    this.records.set(record.txId, record);
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
