/**
 * The authorization path: idempotency → actors (features) → micro-batched
 * model score → policy → recorded decision. Stage latencies are reported to an
 * optional observer (Prometheus histograms in the server).
 */
import type { DecisionRecord, DecisionStore } from '../adapters/decision-store.js';
import { contributionReasons, occlusionRows, topContributions } from '../domain/attribution.js';
import type { Decision } from '../domain/decision.js';
import { FEATURE_COUNT, FEATURE_NAMES, featureRecord, writeFeatureVector } from '../domain/features.js';
import { applyPolicy, type Policy } from '../domain/policy.js';
import type { EntityRegistry } from './entities.js';
import { IdempotencyConflictError } from './errors.js';
import type { ScoringService } from './scoring.js';

export interface AuthorizationRequest {
  readonly txId: string;
  readonly accountId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly currency: string;
  /** ISO 8601 event time. */
  readonly timestamp: string;
  readonly deviceId?: string;
}

export type Stage = 'features' | 'scoring' | 'policy' | 'total';

export interface EngineObserver {
  stage(stage: Stage, ms: number): void;
  decision(decision: Decision, degraded: boolean): void;
}

/** A transaction applied to its actors, waiting for its score. */
export interface AppliedTransaction {
  readonly vector: Float32Array;
  readonly timestampMs: number;
  readonly accountBlocked: boolean;
  readonly blockReason?: string;
  readonly startedAt: number;
  readonly featuresMs: number;
}

export interface EngineDeps {
  readonly registry: EntityRegistry;
  readonly scoring: ScoringService;
  readonly store: DecisionStore;
  /** Records a decision durably (service mode: with the account's and terminal's snapshots). Default: store.put. */
  readonly recorder?: (record: DecisionRecord) => Promise<void>;
  /** Loads the actors a request needs (service mode: from Redis when not resident). */
  readonly prepare?: (req: AuthorizationRequest) => Promise<void>;
  /** Answer (degraded) instead of failing when the decision cannot be recorded (service mode). */
  readonly answerWhenUnrecorded?: boolean;
  /** Called once a decision is recorded (opens review cases). Idempotent; may be called again for the same decision. */
  onRecorded?: (record: DecisionRecord) => Promise<void>;
  /** Errors of `onRecorded` on the HTTP path (the answer is not failed for them). */
  readonly onError?: (error: unknown) => void;
  policy: Policy;
  /** Wall clock (epoch ms) for `decidedAt`; injected for tests. */
  readonly now?: () => number;
  /** Monotonic clock (ms) for latencies. */
  readonly monotonic?: () => number;
  readonly observer?: EngineObserver;
  /** How many contributing features to list in the reasons of review/block decisions. */
  readonly topFeatures?: number;
}

export interface AuthorizationResult {
  readonly record: DecisionRecord;
  /** True when this is a retry answered from the recorded decision. */
  readonly replayed: boolean;
}

export class DecisionEngine {
  private readonly inFlight = new Map<string, Promise<AuthorizationResult>>();
  /**
   * Decisions whose effects are applied in the actors but not yet confirmed
   * recorded by the store (e.g. the store is down): a retry is answered from
   * here, so a transaction is never applied twice. Bounded.
   */
  private readonly unrecorded = new Map<string, DecisionRecord>();
  private static readonly MAX_UNRECORDED = 100_000;
  private readonly now: () => number;
  private readonly monotonic: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    this.monotonic = deps.monotonic ?? (() => performance.now());
  }

  get policy(): Policy {
    return this.deps.policy;
  }

  set policy(policy: Policy) {
    this.deps.policy = policy;
  }

  get modelVersion(): string {
    return this.deps.scoring.model.version;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Decides a transaction; a retry with the same txId returns the recorded decision. */
  async authorize(req: AuthorizationRequest): Promise<AuthorizationResult> {
    const running = this.inFlight.get(req.txId);
    if (running !== undefined) return this.asRetry(req, (await running).record);
    const work = this.decideOnce(req);
    this.inFlight.set(req.txId, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(req.txId);
    }
  }

  private asRetry(req: AuthorizationRequest, record: DecisionRecord): AuthorizationResult {
    const same =
      record.accountId === req.accountId &&
      record.terminalId === req.terminalId &&
      record.amount === req.amount &&
      record.currency === req.currency &&
      record.deviceId === req.deviceId &&
      Date.parse(record.timestamp) === Date.parse(req.timestamp);
    if (!same) throw new IdempotencyConflictError(req.txId);
    return { record, replayed: true };
  }

  private async decideOnce(req: AuthorizationRequest): Promise<AuthorizationResult> {
    const pending = this.unrecorded.get(req.txId);
    if (pending !== undefined) {
      await this.record(pending);
      return this.asRetry(req, pending);
    }
    const recorded = await this.deps.store.get(req.txId);
    if (recorded !== undefined) return this.asRetry(req, recorded);
    try {
      await this.deps.prepare?.(req);
    } catch (error) {
      // The actors' state cannot be read: answer by the fallback, change nothing, record nothing.
      return { record: this.stateUnavailable(req, error), replayed: false };
    }
    const applied = this.apply(req);
    const record = await this.decide(req, applied);
    this.unrecorded.set(record.txId, record);
    if (this.unrecorded.size > DecisionEngine.MAX_UNRECORDED) this.unrecorded.delete(this.unrecorded.keys().next().value as string);
    try {
      await this.record(record);
    } catch (error) {
      if (!this.deps.answerWhenUnrecorded) throw error;
      // Decided from resident state but not durable yet: say so, apply the fallback, retry the write later.
      const degraded = this.notPersisted(record, error);
      this.unrecorded.set(record.txId, degraded);
      return { record: degraded, replayed: false };
    }
    try {
      await this.notifyRecorded(record);
    } catch (error) {
      this.deps.onError?.(error);
    }
    return { record, replayed: false };
  }

  /** Runs the recorded-decision hook (review cases). */
  async notifyRecorded(record: DecisionRecord): Promise<void> {
    await this.deps.onRecorded?.(record);
  }

  /** Installs the recorded-decision hook (the review service is built after the engine). */
  set onRecorded(hook: ((record: DecisionRecord) => Promise<void>) | undefined) {
    this.deps.onRecorded = hook;
  }

  /** Retries the writes of decisions that could not be recorded (e.g. while Redis was down). */
  async retryUnrecorded(): Promise<number> {
    let done = 0;
    for (const record of [...this.unrecorded.values()]) {
      try {
        await this.record(record);
        done++;
      } catch {
        break;
      }
    }
    return done;
  }

  get unrecordedCount(): number {
    return this.unrecorded.size;
  }

  private fallbackDecision(): 'allow' | 'block' {
    return this.deps.policy.fallback === 'closed' ? 'block' : 'allow';
  }

  private stateUnavailable(req: AuthorizationRequest, error: unknown): DecisionRecord {
    const decision = this.fallbackDecision();
    this.deps.observer?.decision(decision, true);
    return {
      ...transactionFields(req),
      decision,
      score: null,
      reasons: [{ code: 'STATE_UNAVAILABLE', detail: `account state unavailable (${(error as Error).message}); fail-${this.deps.policy.fallback} → ${decision}` }],
      modelVersion: this.deps.scoring.model.version,
      features: {},
      latencyMs: 0,
      decidedAt: new Date(this.now()).toISOString(),
    };
  }

  private notPersisted(record: DecisionRecord, error: unknown): DecisionRecord {
    const decision = this.deps.policy.fallback === 'closed' ? 'block' : record.decision;
    return {
      ...record,
      decision,
      reasons: [
        ...record.reasons,
        { code: 'STATE_NOT_PERSISTED', detail: `decided from resident state; the write is retried (${(error as Error).message}); fail-${this.deps.policy.fallback}` },
      ],
    };
  }

  /** Applies the transaction to its actors (synchronously) and returns its feature vector. */
  apply(req: AuthorizationRequest, seq?: number): AppliedTransaction {
    const t0 = this.monotonic();
    const timestampMs = Date.parse(req.timestamp);
    const f = this.deps.registry.applyTransaction({ ...req, timestampMs }, seq);
    const vector = new Float32Array(FEATURE_COUNT);
    writeFeatureVector({ timestampMs, amount: req.amount }, f.account, f.terminal, vector);
    const block = f.accountBlocked ? this.deps.registry.accountSnapshot(req.accountId)?.context.block : undefined;
    return { vector, timestampMs, accountBlocked: f.accountBlocked, ...(block ? { blockReason: block.reason } : {}), startedAt: t0, featuresMs: this.monotonic() - t0 };
  }

  /** Scores (micro-batched with concurrent calls) and applies the policy. */
  async decide(req: AuthorizationRequest, applied: AppliedTransaction): Promise<DecisionRecord> {
    const t1 = this.monotonic();
    const { vector } = applied;
    const scored = await this.deps.scoring.score(vector);
    const score = 'scores' in scored ? (scored.scores[0] as number) : undefined;
    const t2 = this.monotonic();

    const policy = this.deps.policy;
    const outcome = applyPolicy(
      {
        accountId: req.accountId,
        terminalId: req.terminalId,
        amount: req.amount,
        accountBlocked: applied.accountBlocked,
        ...(applied.blockReason !== undefined ? { accountBlockReason: applied.blockReason } : {}),
        ...(req.deviceId !== undefined ? { deviceId: req.deviceId } : {}),
        ...(score !== undefined ? { score } : { degradedReason: 'degraded' in scored ? scored.degraded : 'unavailable' }),
      },
      policy,
    );
    const reasons = [...outcome.reasons];
    if (score !== undefined && score >= policy.thresholds.review) {
      reasons.push(...(await this.explain(vector, score)));
    }
    const t3 = this.monotonic();
    const observer = this.deps.observer;
    if (observer) {
      observer.stage('features', applied.featuresMs);
      observer.stage('scoring', t2 - t1);
      observer.stage('policy', t3 - t2);
      observer.stage('total', applied.featuresMs + (t3 - t1));
      observer.decision(outcome.decision, score === undefined);
    }
    return {
      ...transactionFields(req),
      decision: outcome.decision,
      score: score ?? null,
      reasons,
      modelVersion: this.deps.scoring.model.version,
      features: featureRecord(vector),
      latencyMs: Number((applied.featuresMs + (t3 - t1)).toFixed(3)),
      decidedAt: new Date(this.now()).toISOString(),
    };
  }

  /** Stores a decision (with the actors' state, in service mode); it stays in `unrecorded` until accepted. */
  private async record(record: DecisionRecord): Promise<void> {
    await (this.deps.recorder ? this.deps.recorder(record) : this.deps.store.put(record));
    this.unrecorded.delete(record.txId);
  }

  /** Reasons naming the features that pushed the score most (occlusion, one extra batch). */
  private async explain(vector: Float32Array, score: number) {
    const rows = new Float32Array(FEATURE_COUNT * FEATURE_COUNT);
    occlusionRows(vector, this.deps.scoring.model.means, rows);
    const occluded = await this.deps.scoring.score(rows);
    if (!('scores' in occluded)) return [];
    return contributionReasons(topContributions(FEATURE_NAMES, vector, score, occluded.scores, this.deps.topFeatures ?? 3));
  }
}

/** The transaction's own fields of a decision record (timestamp normalised to ISO 8601 UTC). */
function transactionFields(req: AuthorizationRequest) {
  return {
    txId: req.txId,
    accountId: req.accountId,
    terminalId: req.terminalId,
    amount: req.amount,
    currency: req.currency,
    ...(req.deviceId !== undefined ? { deviceId: req.deviceId } : {}),
    timestamp: new Date(Date.parse(req.timestamp)).toISOString(),
  };
}
