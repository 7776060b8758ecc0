/** Prometheus metrics of the engine (prom-client), served at GET /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../domain/decision.js';
import type { EngineObserver, Stage } from '../engine/engine.js';

const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export class EngineMetrics implements EngineObserver {
  readonly registry = new Registry();
  private readonly decisions: Counter<'decision' | 'degraded'>;
  private readonly stages: Histogram<'stage'>;
  private readonly batches: Histogram;
  private readonly errors: Counter<'code'>;

  constructor(options: { actorsResident: () => { accounts: number; terminals: number }; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.decisions = new Counter({ name: 'veto_decisions_total', help: 'Decisions by outcome', labelNames: ['decision', 'degraded'], registers });
    this.stages = new Histogram({ name: 'veto_stage_seconds', help: 'Latency of each decision stage (features, scoring, policy, total)', labelNames: ['stage'], buckets: LATENCY_BUCKETS_S, registers });
    this.batches = new Histogram({ name: 'veto_scoring_batch_size', help: 'Requests per model predict call', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    this.errors = new Counter({ name: 'veto_errors_total', help: 'Errors by code', labelNames: ['code'], registers });
    new Gauge({
      name: 'veto_actors_resident',
      help: 'Entity actors in memory',
      labelNames: ['kind'],
      registers,
      collect() {
        const r = options.actorsResident();
        this.set({ kind: 'account' }, r.accounts);
        this.set({ kind: 'terminal' }, r.terminals);
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'veto_' });
  }

  stage(stage: Stage, ms: number): void {
    this.stages.observe({ stage }, ms / 1000);
  }

  decision(decision: Decision, degraded: boolean): void {
    this.decisions.inc({ decision, degraded: degraded ? 'true' : 'false' });
  }

  batch(size: number): void {
    this.batches.observe(size);
  }

  error(code: string): void {
    this.errors.inc({ code });
  }
}
