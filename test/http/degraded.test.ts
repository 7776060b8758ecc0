/**
 * Degraded scoring and micro-batching, with injected test models: a model that
 * throws, hangs or is slow must never hold a decision past the scoring budget;
 * the fallback decides (fail-open / fail-closed) and the hard rules still apply.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryDecisionStore, type DecisionRecord } from '../../src/adapters/decision-store.js';
import type { Runtime } from '../../src/app/runtime.js';
import { BASE_MS, listen, metricValue, postJson, reasonCodes, startRuntime, TestScorer, tx, uid, withKey, type DecisionBody } from './helpers.js';

const TIMEOUT_MS = 50;

async function decide(runtime: Runtime, body: object): Promise<DecisionBody> {
  const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DecisionBody>();
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work;
  return { value, ms: performance.now() - t0 };
}

describe('degraded scoring, fail-open (default)', () => {
  const scorer = new TestScorer();
  const blockedAccount = uid('blk-acc');
  let runtime: Runtime;
  let baseUrl: string;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: String(TIMEOUT_MS), VETO_BLOCK_ACCOUNTS: blockedAccount }, { scorer });
    baseUrl = await listen(runtime);
  });

  afterEach(() => {
    scorer.mode = 'ok';
    scorer.delayMs = 0;
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('a healthy model scores (baseline for the cases below)', async () => {
    const d = await decide(runtime, tx());
    expect(d.score).toBeCloseTo(0.01, 6);
    expect(d.modelVersion).toBe('test-v1');
    expect(reasonCodes(d)).not.toContain('SCORING_DEGRADED');
  });

  it('a model that throws → allow with SCORING_DEGRADED and a null score', async () => {
    scorer.mode = 'throw';
    const d = await decide(runtime, tx());
    expect(d.decision).toBe('allow');
    expect(d.score).toBeNull();
    const reason = d.reasons.find((r) => r.code === 'SCORING_DEGRADED');
    expect(reason?.detail).toContain('model exploded');
    expect(reason?.detail).toContain('fail-open');
  });

  it('a model that never answers → answered within the budget with SCORING_DEGRADED', async () => {
    scorer.mode = 'hang';
    const { value: d, ms } = await timed(decide(runtime, tx()));
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    expect(d.decision).toBe('allow');
    expect(d.score).toBeNull();
    expect(d.reasons.find((r) => r.code === 'SCORING_DEGRADED')?.detail).toContain(`${TIMEOUT_MS} ms`);
  });

  it('a model slower than scoring.timeoutMs → degraded, the answer does not wait for it', async () => {
    scorer.delayMs = 400;
    const { value: d, ms } = await timed(decide(runtime, tx()));
    expect(ms).toBeLessThan(400);
    expect(d.score).toBeNull();
    expect(reasonCodes(d)).toContain('SCORING_DEGRADED');
  });

  it('a hanging model over a real socket: the client gets its answer in bounded time', async () => {
    scorer.mode = 'hang';
    const t0 = performance.now();
    const res = await postJson(baseUrl, tx(), { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + 1000);
    expect(reasonCodes((await res.json()) as DecisionBody)).toContain('SCORING_DEGRADED');
  });

  it('hard rules still apply when degraded: block list, blocked account, amount limit', async () => {
    scorer.mode = 'throw';
    const listed = await decide(runtime, tx({ accountId: blockedAccount }));
    expect(listed.decision).toBe('block');
    expect(reasonCodes(listed)).toEqual(expect.arrayContaining(['ACCOUNT_BLOCKLISTED', 'SCORING_DEGRADED']));

    const accountId = uid('acc');
    runtime.registry.block(accountId, 'chargeback', 'analyst-1', BASE_MS - 1000);
    const blocked = await decide(runtime, tx({ accountId }));
    expect(blocked.decision).toBe('block');
    expect(reasonCodes(blocked)).toEqual(expect.arrayContaining(['ACCOUNT_BLOCKED', 'SCORING_DEGRADED']));

    const overLimit = await decide(runtime, tx({ amount: 75_000 }));
    expect(overLimit.decision).toBe('block');
    expect(reasonCodes(overLimit)).toEqual(expect.arrayContaining(['AMOUNT_OVER_LIMIT', 'SCORING_DEGRADED']));

    scorer.mode = 'hang';
    const review = await decide(runtime, tx({ amount: 12_000 }));
    expect(review.decision).toBe('review');
    expect(reasonCodes(review)).toEqual(expect.arrayContaining(['AMOUNT_OVER_REVIEW_LIMIT', 'SCORING_DEGRADED']));
  });

  it('scoring recovers as soon as the model does', async () => {
    scorer.mode = 'throw';
    expect((await decide(runtime, tx())).score).toBeNull();
    scorer.mode = 'ok';
    expect((await decide(runtime, tx())).score).toBeCloseTo(0.01, 6);
  });

  it('a degraded decision is recorded: its retry is replayed as it was, not re-scored', async () => {
    scorer.mode = 'throw';
    const body = tx();
    const first = await decide(runtime, body);
    scorer.mode = 'ok';
    const retry = await decide(runtime, body);
    expect(retry.replayed).toBe(true);
    expect(retry.score).toBeNull();
    expect(retry.reasons).toEqual(first.reasons);
    expect(runtime.registry.accountSnapshot(body.accountId)?.context.txCount).toBe(1);
  });

  it('degraded decisions are counted in the metrics', async () => {
    const text = async () => (await runtime.app.inject({ method: 'GET', url: '/metrics' })).body;
    const before = metricValue(await text(), 'veto_decisions_total', { decision: 'allow', degraded: 'true' }) ?? 0;
    scorer.mode = 'throw';
    await decide(runtime, tx());
    expect(metricValue(await text(), 'veto_decisions_total', { decision: 'allow', degraded: 'true' })).toBe(before + 1);
  });
});

describe('degraded scoring, fail-closed (VETO_FALLBACK=closed)', () => {
  const scorer = new TestScorer();
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_FALLBACK: 'closed', VETO_SCORING_TIMEOUT_MS: String(TIMEOUT_MS) }, { scorer });
  });

  afterEach(() => {
    scorer.mode = 'ok';
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('a model that throws → block with SCORING_DEGRADED', async () => {
    scorer.mode = 'throw';
    const d = await decide(runtime, tx());
    expect(d.decision).toBe('block');
    expect(d.score).toBeNull();
    expect(d.reasons.find((r) => r.code === 'SCORING_DEGRADED')?.detail).toContain('fail-closed');
  });

  it('a model that never answers → block within the budget', async () => {
    scorer.mode = 'hang';
    const { value: d, ms } = await timed(decide(runtime, tx()));
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    expect(d.decision).toBe('block');
    expect(reasonCodes(d)).toContain('SCORING_DEGRADED');
  });

  it('a healthy model is not affected by the fallback setting', async () => {
    const d = await decide(runtime, tx());
    expect(d.decision).toBe('allow');
    expect(d.score).toBeCloseTo(0.01, 6);
  });
});

describe('micro-batching of model calls', () => {
  const scorer = new TestScorer();
  let runtime: Runtime;

  beforeAll(async () => {
    // A generous budget: this is about batching, nothing may degrade.
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000' }, { scorer });
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('50 concurrent requests share predict calls (fewer calls than requests, batches > 1)', async () => {
    scorer.reset();
    const bodies = Array.from({ length: 50 }, () => tx());
    const results = await Promise.all(bodies.map((b) => decide(runtime, b)));
    for (const [i, d] of results.entries()) {
      expect(d.txId).toBe(bodies[i]?.txId);
      expect(d.score).toBeCloseTo(0.01, 6);
    }
    // Every request scored exactly once (score 0.01 is under the review threshold: no attribution rows).
    expect(scorer.calls.reduce((a, b) => a + b, 0)).toBe(50);
    expect(scorer.calls.length).toBeLessThan(50);
    expect(Math.max(...scorer.calls)).toBeGreaterThan(1);
  });

  it('each request gets the score of its own row', async () => {
    const own = new TestScorer((row) => (row[0] as number) / 1000); // score = amount / 1000
    const rt = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000' }, { scorer: own });
    try {
      own.reset();
      const amounts = Array.from({ length: 20 }, (_, i) => i * 10 + 1);
      const results = await Promise.all(amounts.map((amount) => decide(rt, tx({ amount }))));
      expect(own.calls.length).toBeLessThan(20);
      results.forEach((d, i) => expect(d.score).toBeCloseTo((amounts[i] as number) / 1000, 5));
    } finally {
      await rt.shutdown();
    }
  });

  it('a lone request is answered promptly (not held for company)', async () => {
    scorer.reset();
    const { value: d, ms } = await timed(decide(runtime, tx()));
    expect(d.score).toBeCloseTo(0.01, 6);
    expect(scorer.calls).toEqual([1]);
    expect(ms).toBeLessThan(1000);
  });

  it('scoring.maxBatch caps the rows of one predict call', async () => {
    const capped = new TestScorer();
    const rt = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000', VETO_BATCH_MAX: '8' }, { scorer: capped });
    try {
      capped.reset();
      await Promise.all(Array.from({ length: 30 }, () => decide(rt, tx())));
      expect(capped.calls.reduce((a, b) => a + b, 0)).toBe(30);
      expect(Math.max(...capped.calls)).toBeLessThanOrEqual(8);
      expect(capped.calls.length).toBeGreaterThanOrEqual(4);
    } finally {
      await rt.shutdown();
    }
  });

  it('with maxWaitMs a lone request still gets its answer (bounded wait)', async () => {
    const waiting = new TestScorer();
    const rt = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000', VETO_BATCH_WAIT_MS: '20' }, { scorer: waiting });
    try {
      waiting.reset();
      const { value: d, ms } = await timed(decide(rt, tx()));
      expect(d.score).toBeCloseTo(0.01, 6);
      expect(waiting.calls).toEqual([1]);
      expect(ms).toBeLessThan(1000);
    } finally {
      await rt.shutdown();
    }
  });
});

describe('decision store failure', () => {
  /** The in-memory store, with writes that fail while `failing` is set (a Redis outage). */
  class FlakyStore extends InMemoryDecisionStore {
    failing = false;
    override put(record: DecisionRecord): Promise<void> {
      return this.failing ? Promise.reject(new Error('store unavailable')) : super.put(record);
    }
  }
  const store = new FlakyStore();
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000' }, { scorer: new TestScorer(), store });
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('a failed write answers 500 INTERNAL without leaking the cause', async () => {
    store.failing = true;
    try {
      const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }));
      expect(res.statusCode).toBe(500);
      const err = res.json<{ code: string; message: string; requestId: string }>();
      expect(err.code).toBe('INTERNAL');
      expect(err.message).not.toContain('store unavailable');
      expect(err.requestId.length).toBeGreaterThan(0);
    } finally {
      store.failing = false;
    }
  });

  // The actors are updated before the decision is recorded; when the write
  // fails the client gets a 500 and retries. The engine keeps unrecorded
  // decisions in a bounded local map, so the retry is answered from it (and
  // recorded) instead of applying the transaction a second time.
  it('a retry after a failed write does not apply the transaction twice', async () => {
    const body = tx();
    store.failing = true;
    const first = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }));
    store.failing = false;
    expect(first.statusCode).toBe(500);
    const retry = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize?features=true', payload: body }));
    expect(retry.statusCode).toBe(200);
    expect(retry.json<DecisionBody>().features?.account_nb_tx_1d).toBe(1);
    expect(runtime.registry.accountSnapshot(body.accountId)?.context.txCount).toBe(1);
  });
});
