/**
 * Wiring: configuration → model → actors → scoring → engine → HTTP app. The
 * only place that decides which adapters run (in-process in embedded mode).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { InMemoryDecisionStore, type DecisionRecord, type DecisionStore } from '../adapters/decision-store.js';
import type { StateStore } from '../adapters/state-store.js';
import { FEATURE_COUNT } from '../domain/features.js';
import type { Policy } from '../domain/policy.js';
import { DAY_MS } from '../domain/time.js';
import { DecisionEngine } from '../engine/engine.js';
import { EntityRegistry } from '../engine/entities.js';
import { ScoringService, type ModelScorer } from '../engine/scoring.js';
import { build } from '../http/app.js';
import { generateApiKey, type ApiKeyEntry } from '../http/auth.js';
import { EngineMetrics } from '../http/metrics.js';
import { loadModel } from '../model/artifact.js';
import { defaultModelDir, packageRoot } from '../model/location.js';
import { Scorer } from '../model/scorer.js';
import { initTensorflow } from '../model/tf.js';
import { ConfigError, type VetoConfig } from './config.js';
import { redactUrl } from '../adapters/nats/mod.js';
import { createReview } from './review.js';
import { createStateStore, restoreActors, startEventServices } from './services.js';

export interface Runtime {
  readonly app: FastifyInstance;
  readonly engine: DecisionEngine;
  readonly registry: EntityRegistry;
  readonly metrics: EngineMetrics;
  readonly scorer: ModelScorer;
  readonly tfBackend: string;
  readonly mode: string;
  /**
   * Embedded mode without configured API keys: the admin key generated for this
   * run (serve prints it at startup); undefined when keys are configured.
   */
  readonly devApiKey: string | undefined;
  /** Stops accepting requests, finishes in-flight ones, flushes, releases everything. */
  shutdown(): Promise<void>;
}

export interface RuntimeOverrides {
  /** Replace the TF.js model (tests: slow or failing scorers). */
  readonly scorer?: ModelScorer;
  readonly store?: DecisionStore;
  readonly logger?: FastifyBaseLogger | false;
  readonly now?: () => number;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function policyFromConfig(config: VetoConfig, card: { review: number; block: number }): Policy {
  const l = config.lists;
  const thresholds = { review: config.thresholds.review ?? card.review, block: config.thresholds.block ?? card.block };
  if (thresholds.review > thresholds.block) {
    throw new ConfigError([`thresholds: review (${thresholds.review}) must not exceed block (${thresholds.block}) (values not configured come from the model card)`]);
  }
  return {
    thresholds,
    ...(config.limits.maxAmount !== null ? { maxAmount: config.limits.maxAmount } : {}),
    ...(config.limits.reviewAmount !== null ? { reviewAmount: config.limits.reviewAmount } : {}),
    lists: {
      blockAccounts: new Set(l.blockAccounts),
      allowAccounts: new Set(l.allowAccounts),
      blockTerminals: new Set(l.blockTerminals),
      allowTerminals: new Set(l.allowTerminals),
      blockDevices: new Set(l.blockDevices),
      allowDevices: new Set(l.allowDevices),
    },
    fallback: config.scoring.fallback,
  };
}

/**
 * The API keys of the HTTP API: the configured ones; in embedded mode without
 * any, a generated development admin key (never open). Service mode (NATS or
 * Redis configured) without keys is refused: production must configure its keys.
 */
export function apiKeysFor(config: VetoConfig): { apiKeys: readonly ApiKeyEntry[]; devApiKey: string | undefined } {
  if (config.auth.apiKeys.length > 0) return { apiKeys: config.auth.apiKeys, devApiKey: undefined };
  if (config.services.redisUrl !== null || config.services.natsUrl !== null) {
    throw new ConfigError([
      'auth: no API keys configured — service mode (NATS/Redis) requires them: set VETO_API_KEYS (key:role[:name], comma-separated) or auth.apiKeys in the VETO_CONFIG file',
    ]);
  }
  const devApiKey = generateApiKey();
  return { apiKeys: [{ key: devApiKey, role: 'admin', name: 'development' }], devApiKey };
}

export async function createRuntime(config: VetoConfig, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const { apiKeys, devApiKey } = apiKeysFor(config);
  const tfBackend = await initTensorflow();
  let scorer = overrides.scorer;
  let cardThresholds = { review: 0.5, block: 0.9 };
  if (scorer === undefined) {
    const loaded = new Scorer(await loadModel(config.model.dir ?? defaultModelDir()));
    cardThresholds = loaded.loaded.card.thresholds;
    scorer = loaded;
  }
  // Warm-up: the first predict compiles kernels; keep that out of the first request.
  await withTimeout(Promise.resolve(scorer.score(new Float32Array(FEATURE_COUNT * 2))), 30_000, 'model warm-up');
  const registry = new EntityRegistry({ labelDelayMs: config.features.labelDelayDays * DAY_MS });
  const metrics = new EngineMetrics({ actorsResident: () => ({ accounts: registry.accountCount, terminals: registry.terminalCount }) });
  const scoring = new ScoringService(scorer, {
    maxBatch: config.scoring.maxBatch,
    maxWaitMs: config.scoring.maxWaitMs,
    timeoutMs: config.scoring.timeoutMs,
    onBatch: (n) => metrics.batch(n),
  });
  const silent = pino({ level: 'silent' });
  const log: FastifyBaseLogger = overrides.logger || silent;
  const stateStore = createStateStore(config, log);
  const store: DecisionStore = stateStore ?? overrides.store ?? new InMemoryDecisionStore(config.decisions.retain);
  const engine = new DecisionEngine({
    registry,
    scoring,
    store,
    policy: policyFromConfig(config, cardThresholds),
    observer: metrics,
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(stateStore
      ? {
          prepare: (req) => restoreActors(stateStore, registry, req.accountId, req.terminalId),
          recorder: (record) => commitDecision(stateStore, registry, record),
          answerWhenUnrecorded: true,
        }
      : {}),
  });
  // Review first: the event path may decide (and open cases) as soon as it starts.
  const nats: { nc?: NatsConnection } = {};
  const review = createReview(config, { engine, registry, decisions: store, ...(stateStore ? { stateStore } : {}), nats: () => nats.nc });
  const events = stateStore && config.services.natsUrl !== null ? await startEventServices(config, engine, registry, stateStore, log) : undefined;
  if (events) nats.nc = events.nats.nc;
  const mode = stateStore
    ? events
      ? `services: NATS ${redactUrl(config.services.natsUrl ?? '')} (JetStream), Redis ${redactUrl(config.services.redisUrl ?? '')}`
      : `services: Redis ${redactUrl(config.services.redisUrl ?? '')} (no NATS: HTTP only)`
    : 'embedded (in-process actors and decision store; no NATS/Redis configured)';
  // Service mode: retry unrecorded decisions and passivate idle actors of the HTTP path.
  const housekeeping = stateStore
    ? setInterval(() => {
        if (!stateStore.isUp()) return;
        void engine.retryUnrecorded().then(() => {
          const idleBefore = Date.now() - config.state.idleSeconds * 1000;
          registry.accounts.evictBeyond(config.state.maxResident, idleBefore);
          registry.terminals.evictBeyond(config.state.maxResident, idleBefore);
        });
      }, 1000)
    : undefined;
  housekeeping?.unref();
  let closing = false;
  const app = await build({
    review: review.routes,
    engine,
    metrics,
    bodyLimitBytes: config.server.bodyLimitBytes,
    auth: { apiKeys, reviewRateLimitPerMinute: config.auth.reviewRateLimitPerMinute },
    logger: overrides.logger ?? false,
    isClosing: () => closing,
    ops: {
      version: packageVersion(),
      mode,
      tfBackend,
      modelVersion: () => engine.modelVersion,
      startedAt: Date.now(),
      checks: () => ({
        model: true,
        accepting: !closing,
        ...(stateStore ? { redis: stateStore.isUp() } : {}),
        ...(events ? { nats: events.nats.isConnected() } : {}),
      }),
    },
  });

  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= (async () => {
      closing = true;
      if (housekeeping) clearInterval(housekeeping);
      await Promise.all([app.close(), events?.consumer.stop()]);
      scoring.flush();
      await events?.close();
      await engine.retryUnrecorded();
      await store.flush();
      await review.close();
      await stateStore?.close();
      registry.stop();
    })();
    return stopped;
  };
  return { app, engine, registry, metrics, scorer, tfBackend, mode, devApiKey, shutdown };
}

/** Service-mode recorder of the HTTP path: the terminal's and the account's snapshots, then the account with the decision. */
async function commitDecision(store: StateStore, registry: EntityRegistry, record: DecisionRecord): Promise<void> {
  const terminal = registry.terminals.persisted(record.terminalId);
  const account = registry.accounts.persisted(record.accountId);
  await store.commit(
    terminal ? [{ terminalId: record.terminalId, snapshot: terminal }] : [],
    account ? [{ accountId: record.accountId, snapshot: account, decisions: [record] }] : [],
  );
  registry.terminals.markClean([record.terminalId]);
  registry.accounts.markClean([record.accountId]);
}
