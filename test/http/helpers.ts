/** Shared helpers of the HTTP integration tests: runtimes, transactions, scorers and metrics parsing. */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { loadConfig } from '../../src/app/config.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/app/runtime.js';
import { FEATURE_COUNT } from '../../src/domain/features.js';
import type { ModelScorer } from '../../src/engine/scoring.js';

/** Fixed event-time base of every test transaction. */
export const BASE_MS = Date.parse('2026-12-04T10:00:00Z');
export const MINUTE_MS = 60_000;

/** ISO timestamp `offsetMs` after the base. */
export function at(offsetMs = 0): string {
  return new Date(BASE_MS + offsetMs).toISOString();
}

/** A unique id that satisfies the API's id pattern. */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export interface AuthorizeBody {
  txId: string;
  accountId: string;
  terminalId: string;
  amount: number;
  currency: string;
  timestamp: string;
  deviceId?: string;
  merchantId?: string;
  channel?: string;
  country?: string;
}

/** A valid, unremarkable transaction with fresh ids (override any field). */
export function tx(overrides: Partial<AuthorizeBody> = {}): AuthorizeBody {
  return {
    txId: uid('tx'),
    accountId: uid('acc'),
    terminalId: uid('term'),
    amount: 12.5,
    currency: 'EUR',
    timestamp: at(0),
    ...overrides,
  };
}

export interface DecisionBody {
  txId: string;
  decision: 'allow' | 'review' | 'block';
  score: number | null;
  reasons: { code: string; detail: string }[];
  modelVersion: string;
  features?: Record<string, number>;
  latencyMs: number;
  replayed: boolean;
}

export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  details?: { path: string; message: string }[];
}

export const reasonCodes = (d: DecisionBody): string[] => d.reasons.map((r) => r.code);

/** The API keys of test runtimes (VETO_API_KEYS of startRuntime; an analyst key too). */
export const AUTHORIZER_KEY = 'test-authorizer-key-0001';
export const ADMIN_KEY = 'test-admin-key-000001';
export const ANALYST_KEY = 'test-analyst-key-00001';
export const TEST_API_KEYS = `${AUTHORIZER_KEY}:authorizer,${ADMIN_KEY}:admin,${ANALYST_KEY}:analyst`;

/** The `authorization` header of a key (default: the authorizer's). */
export function auth(key: string = AUTHORIZER_KEY): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** inject() options with the key's `authorization` header added to their headers. */
export function withKey(options: InjectOptions, key: string = AUTHORIZER_KEY): InjectOptions {
  return { ...options, headers: { ...auth(key), ...options.headers } };
}

/**
 * A runtime on the shipped config with environment-style overrides (e.g. { VETO_FALLBACK: 'closed' }),
 * and the test API keys (TEST_API_KEYS) unless `env` sets VETO_API_KEYS.
 */
export function startRuntime(env: Record<string, string> = {}, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  return createRuntime(loadConfig({ VETO_API_KEYS: TEST_API_KEYS, ...env }, 'config'), overrides);
}

/** Listens on an ephemeral port of the loopback interface; returns the base URL. */
export async function listen(runtime: Runtime): Promise<string> {
  await runtime.app.listen({ port: 0, host: '127.0.0.1' });
  const address = runtime.app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
  return `http://127.0.0.1:${address.port}`;
}

/** POST /v1/authorize over a socket, with the authorizer key unless `key` says otherwise (null: no key). */
export function postJson(baseUrl: string, body: unknown, init: RequestInit = {}, key: string | null = AUTHORIZER_KEY): Promise<Response> {
  return fetch(`${baseUrl}/v1/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== null ? auth(key) : {}) },
    body: JSON.stringify(body),
    ...init,
  });
}

export type ScorerMode = 'ok' | 'throw' | 'hang';

/**
 * A test model: scores every row `scoreOf(row)` (default 0.01) after `delayMs`,
 * and records each predict call's row count. Its `mode` can be switched at any
 * time, so it can start healthy (a runtime may warm it up) and fail later.
 */
export class TestScorer implements ModelScorer {
  readonly version = 'test-v1';
  readonly means: readonly number[] = new Array<number>(FEATURE_COUNT).fill(0);
  mode: ScorerMode = 'ok';
  delayMs = 0;
  /** Rows of each predict call, in order. */
  readonly calls: number[] = [];

  constructor(private readonly scoreOf: (row: Float32Array) => number = () => 0.01) {}

  reset(): void {
    this.calls.length = 0;
  }

  score(x: Float32Array): Float32Array | Promise<Float32Array> {
    const rows = x.length / FEATURE_COUNT;
    this.calls.push(rows);
    if (this.mode === 'throw') throw new Error('model exploded');
    if (this.mode === 'hang') return new Promise<Float32Array>(() => {});
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = this.scoreOf(x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    if (this.delayMs <= 0) return out;
    return new Promise((resolve) => setTimeout(() => resolve(out), this.delayMs));
  }
}

/**
 * Sum of the samples `name{labels…} value` of a Prometheus text exposition whose
 * labels include `labels`; undefined when there is none.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[pair[1] as string] = pair[2] as string;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
