/** Operations endpoints: /health, /ready, /metrics (Prometheus) and the OpenAPI document. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import { listen, metricValue, startRuntime, tx, uid, withKey, type DecisionBody } from './helpers.js';

let runtime: Runtime;
let baseUrl: string;
const blockedAccount = uid('blk-acc');

beforeAll(async () => {
  runtime = await startRuntime({ VETO_BLOCK_ACCOUNTS: blockedAccount, VETO_SCORING_TIMEOUT_MS: '2000' });
  baseUrl = await listen(runtime);
});

afterAll(async () => {
  await runtime?.shutdown();
});

async function metricsText(): Promise<string> {
  const res = await runtime.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

async function decide(body: object): Promise<DecisionBody> {
  const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DecisionBody>();
}

describe('GET /health', () => {
  it('reports status, TF.js backend, model and package version', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body.status).toBe('ok');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(body.tfBackend);
    expect(body.tfBackend).toBe(runtime.tfBackend);
    expect(body.modelVersion).toBe('mlp-v1');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(body.version).toBe(pkg.version);
    expect(typeof body.mode).toBe('string');
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('answers over a real socket', async () => {
    const res = await fetch(`${baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });
});

describe('GET /ready', () => {
  it('is 200 with every check passing while serving', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ready: boolean; checks: Record<string, boolean> }>();
    expect(body.ready).toBe(true);
    expect(Object.keys(body.checks).length).toBeGreaterThan(0);
    expect(body.checks.model).toBe(true);
    expect(Object.values(body.checks).every((v) => v === true)).toBe(true);
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text exposition', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^# HELP veto_decisions_total /m);
    expect(res.body).toMatch(/^# TYPE veto_decisions_total counter$/m);
    expect(res.body).toMatch(/^# TYPE veto_stage_seconds histogram$/m);
    expect(res.body).toMatch(/^# TYPE veto_scoring_batch_size histogram$/m);
    expect(res.body).toMatch(/^# TYPE veto_actors_resident gauge$/m);
    // Every sample line is `name{labels} value`.
    for (const line of res.body.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/);
    }
  });

  it('counts decisions by outcome, stage latencies and batch sizes', async () => {
    const before = await metricsText();
    const allowBefore = metricValue(before, 'veto_decisions_total', { decision: 'allow', degraded: 'false' }) ?? 0;
    const blockBefore = metricValue(before, 'veto_decisions_total', { decision: 'block' }) ?? 0;
    const stageBefore = Object.fromEntries(
      ['features', 'scoring', 'policy', 'total'].map((s) => [s, metricValue(before, 'veto_stage_seconds_count', { stage: s }) ?? 0]),
    );
    const batchesBefore = metricValue(before, 'veto_scoring_batch_size_count') ?? 0;

    expect((await decide(tx({ amount: 10 }))).decision).toBe('allow');
    expect((await decide(tx({ accountId: blockedAccount, amount: 10 }))).decision).toBe('block');

    const after = await metricsText();
    expect(metricValue(after, 'veto_decisions_total', { decision: 'allow', degraded: 'false' })).toBe(allowBefore + 1);
    expect(metricValue(after, 'veto_decisions_total', { decision: 'block' })).toBe(blockBefore + 1);
    for (const stage of ['features', 'scoring', 'policy', 'total']) {
      expect(metricValue(after, 'veto_stage_seconds_count', { stage }), stage).toBe((stageBefore[stage] as number) + 2);
      expect(metricValue(after, 'veto_stage_seconds_sum', { stage }), stage).toBeGreaterThanOrEqual(0);
      expect(metricValue(after, 'veto_stage_seconds_bucket', { stage, le: '+Inf' }), stage).toBe((stageBefore[stage] as number) + 2);
    }
    // total ≥ each of its parts
    const sum = (stage: string) => metricValue(after, 'veto_stage_seconds_sum', { stage }) as number;
    expect(sum('total')).toBeGreaterThanOrEqual(sum('scoring'));
    expect(sum('total')).toBeGreaterThanOrEqual(sum('features'));
    expect(metricValue(after, 'veto_scoring_batch_size_count')).toBeGreaterThanOrEqual(batchesBefore + 2);
    expect(metricValue(after, 'veto_scoring_batch_size_sum')).toBeGreaterThanOrEqual(2);
  });

  it('reports the resident actors', async () => {
    await decide(tx());
    const text = await metricsText();
    expect(metricValue(text, 'veto_actors_resident', { kind: 'account' })).toBe(runtime.registry.accountCount);
    expect(metricValue(text, 'veto_actors_resident', { kind: 'terminal' })).toBe(runtime.registry.terminalCount);
    expect(runtime.registry.accountCount).toBeGreaterThan(0);
  });

  it('counts errors by catalogue code', async () => {
    const before = await metricsText();
    const validation = metricValue(before, 'veto_errors_total', { code: 'VALIDATION_FAILED' }) ?? 0;
    const notFound = metricValue(before, 'veto_errors_total', { code: 'NOT_FOUND' }) ?? 0;
    await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { ...tx(), amount: -1 } }));
    await runtime.app.inject({ method: 'GET', url: '/no/such/route' });
    const after = await metricsText();
    expect(metricValue(after, 'veto_errors_total', { code: 'VALIDATION_FAILED' })).toBe(validation + 1);
    expect(metricValue(after, 'veto_errors_total', { code: 'NOT_FOUND' })).toBe(notFound + 1);
  });

  it('is served over a real socket', async () => {
    const res = await fetch(`${baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('veto_decisions_total');
  });
});

describe('OpenAPI document', () => {
  it('GET /docs/json describes POST /v1/authorize with its request body schema and error responses', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      info: { title: string; version: string; description?: string };
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('veto');
    expect(doc.info.description).toContain('IDEMPOTENCY_CONFLICT');
    const op = doc.paths['/v1/authorize']?.post;
    expect(op).toBeDefined();
    const schema = op?.requestBody?.content['application/json']?.schema as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { type?: string; pattern?: string }>;
    };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['txId', 'accountId', 'terminalId', 'amount', 'currency', 'timestamp']));
    expect(schema.properties.amount?.type).toBe('number');
    expect(schema.properties.currency?.pattern).toBe('^[A-Z]{3}$');
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '409', '413', '415']));
    expect(doc.paths['/health']?.get).toBeDefined();
    expect(doc.paths['/metrics']?.get).toBeDefined();
  });
});
