/**
 * POST /v1/authorize end to end on the shipped model (mlp-v1): decisions and
 * their reasons, feature history, idempotent retries, and bad input — which
 * must be rejected with a catalogue code and change nothing.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import { FEATURE_NAMES } from '../../src/domain/features.js';
import {
  at,
  BASE_MS,
  listen,
  MINUTE_MS,
  postJson,
  reasonCodes,
  startRuntime,
  tx,
  uid,
  auth,
  withKey,
  type AuthorizeBody,
  type DecisionBody,
  type ErrorBody,
} from './helpers.js';

const LISTS = {
  blockAccount: uid('blk-acc'),
  blockTerminal: uid('blk-term'),
  blockDevice: uid('blk-dev'),
  allowAccount: uid('ok-acc'),
};

let runtime: Runtime;
let baseUrl: string;

beforeAll(async () => {
  runtime = await startRuntime({
    VETO_BLOCK_ACCOUNTS: `other-1, ${LISTS.blockAccount}`,
    VETO_BLOCK_TERMINALS: LISTS.blockTerminal,
    VETO_BLOCK_DEVICES: LISTS.blockDevice,
    VETO_ALLOW_ACCOUNTS: LISTS.allowAccount,
    // A generous scoring budget: these tests are about decisions, not the
    // degraded path (degraded.test.ts), and must not flake on a loaded machine.
    VETO_SCORING_TIMEOUT_MS: '2000',
  });
  baseUrl = await listen(runtime);
});

afterAll(async () => {
  await runtime?.shutdown();
});

async function authorize(body: unknown, query = ''): Promise<{ status: number; body: DecisionBody }> {
  const res = await runtime.app.inject(withKey({ method: 'POST', url: `/v1/authorize${query}`, payload: body as object }));
  return { status: res.statusCode, body: res.json<DecisionBody>() };
}

async function decide(body: AuthorizeBody, query = ''): Promise<DecisionBody> {
  const res = await authorize(body, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const txCount = (accountId: string) => runtime.registry.accountSnapshot(accountId)?.context.txCount;

describe('POST /v1/authorize — decisions', () => {
  it('allows a normal small transaction with a model score and no reasons', async () => {
    const body = tx({ amount: 12.5 });
    const d = await decide(body);
    expect(d.txId).toBe(body.txId);
    expect(d.decision).toBe('allow');
    expect(typeof d.score).toBe('number');
    expect(d.score as number).toBeGreaterThanOrEqual(0);
    expect(d.score as number).toBeLessThan(runtime.engine.policy.thresholds.review);
    expect(Array.isArray(d.reasons)).toBe(true);
    expect(reasonCodes(d)).not.toContain('SCORING_DEGRADED');
    expect(d.modelVersion).toBe('mlp-v1');
    expect(d.latencyMs).toBeGreaterThanOrEqual(0);
    expect(d.replayed).toBe(false);
    expect(d).not.toHaveProperty('features');
    expect(txCount(body.accountId)).toBe(1);
  });

  it('answers over a real socket too', async () => {
    const body = tx();
    const res = await postJson(baseUrl, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const d = (await res.json()) as DecisionBody;
    expect(d).toMatchObject({ txId: body.txId, decision: 'allow', modelVersion: 'mlp-v1', replayed: false });
    expect(typeof d.score).toBe('number');
  });

  it('blocks an account blocked through its actor, with the block reason', async () => {
    const accountId = uid('acc');
    runtime.registry.block(accountId, 'stolen card', 'analyst-7', BASE_MS - MINUTE_MS);
    const d = await decide(tx({ accountId, amount: 9.99 }));
    expect(d.decision).toBe('block');
    const reason = d.reasons.find((r) => r.code === 'ACCOUNT_BLOCKED');
    expect(reason?.detail).toContain('stolen card');
    expect(txCount(accountId)).toBe(1);
  });

  it('an unblocked account is allowed again', async () => {
    const accountId = uid('acc');
    runtime.registry.block(accountId, 'suspicious', 'analyst-7', BASE_MS - 2 * MINUTE_MS);
    runtime.registry.unblock(accountId, 'customer verified', 'analyst-7', BASE_MS - MINUTE_MS);
    const d = await decide(tx({ accountId }));
    expect(d.decision).toBe('allow');
    expect(reasonCodes(d)).not.toContain('ACCOUNT_BLOCKED');
  });

  it.each([
    ['account', 'ACCOUNT_BLOCKLISTED', () => ({ accountId: LISTS.blockAccount })],
    ['terminal', 'TERMINAL_BLOCKLISTED', () => ({ terminalId: LISTS.blockTerminal })],
    ['device', 'DEVICE_BLOCKLISTED', () => ({ deviceId: LISTS.blockDevice })],
  ])('blocks a block-listed %s with %s', async (_kind, code, fields) => {
    const d = await decide(tx({ amount: 10, ...fields() }));
    expect(d.decision).toBe('block');
    expect(reasonCodes(d)).toContain(code);
    // Only the matching list fires.
    const listCodes = reasonCodes(d).filter((c) => c.endsWith('_BLOCKLISTED'));
    expect(listCodes).toEqual([code]);
  });

  it('a device that is not on the block list is not blocked', async () => {
    const d = await decide(tx({ deviceId: uid('dev') }));
    expect(d.decision).toBe('allow');
  });

  it('blocks a high-score transaction of a fresh account with score and feature-contribution reasons', async () => {
    const d = await decide(tx({ amount: 5000 }));
    expect(['review', 'block']).toContain(d.decision);
    expect(d.score as number).toBeGreaterThanOrEqual(runtime.engine.policy.thresholds.review);
    const codes = reasonCodes(d);
    expect(codes.some((c) => c === 'SCORE_BLOCK' || c === 'SCORE_REVIEW')).toBe(true);
    expect(codes).toContain(d.decision === 'block' ? 'SCORE_BLOCK' : 'SCORE_REVIEW');
    const contributions = d.reasons.filter((r) => r.code === 'FEATURE_CONTRIBUTION');
    expect(contributions.length).toBeGreaterThanOrEqual(1);
    expect(contributions.length).toBeLessThanOrEqual(3);
    for (const r of contributions) expect(FEATURE_NAMES).toContain(r.detail.split('=')[0]);
    expect(contributions.map((r) => r.detail).join(' ')).toContain('tx_amount=5000');
    // Below both amount limits: the decision comes from the score alone.
    expect(codes).not.toContain('AMOUNT_OVER_LIMIT');
    expect(codes).not.toContain('AMOUNT_OVER_REVIEW_LIMIT');
  });

  it('allow-lists skip the score rules: a high-score transaction of an allow-listed account is allowed', async () => {
    const d = await decide(tx({ accountId: LISTS.allowAccount, amount: 5000 }));
    expect(d.score as number).toBeGreaterThanOrEqual(runtime.engine.policy.thresholds.block);
    expect(d.decision).toBe('allow');
    expect(reasonCodes(d)).toContain('ALLOWLISTED');
    expect(reasonCodes(d)).not.toContain('SCORE_BLOCK');
  });

  it('allow-lists never skip the hard amount limit', async () => {
    const d = await decide(tx({ accountId: LISTS.allowAccount, amount: 60_000, timestamp: at(MINUTE_MS) }));
    expect(d.decision).toBe('block');
    expect(reasonCodes(d)).toContain('AMOUNT_OVER_LIMIT');
  });

  it('blocks any amount over limits.maxAmount with AMOUNT_OVER_LIMIT', async () => {
    const d = await decide(tx({ amount: 50_000.01 }));
    expect(d.decision).toBe('block');
    const reason = d.reasons.find((r) => r.code === 'AMOUNT_OVER_LIMIT');
    expect(reason?.detail).toContain('50000');
    expect(reasonCodes(d)).not.toContain('AMOUNT_OVER_REVIEW_LIMIT');
  });

  it('sends amounts over limits.reviewAmount to review at least', async () => {
    const d = await decide(tx({ amount: 10_000.5 }));
    expect(['review', 'block']).toContain(d.decision);
    expect(reasonCodes(d)).toContain('AMOUNT_OVER_REVIEW_LIMIT');
    expect(reasonCodes(d)).not.toContain('AMOUNT_OVER_LIMIT');
  });

  it('the review amount rule alone gives review (allow-listed account, so no score rules)', async () => {
    const accountId = LISTS.allowAccount;
    const d = await decide(tx({ accountId, amount: 20_000, timestamp: at(2 * MINUTE_MS) }));
    expect(d.decision).toBe('review');
    expect(reasonCodes(d)).toEqual(expect.arrayContaining(['AMOUNT_OVER_REVIEW_LIMIT', 'ALLOWLISTED']));
  });

  it('the amount limit is inclusive: exactly maxAmount is not blocked by the limit', async () => {
    const d = await decide(tx({ accountId: LISTS.allowAccount, amount: 50_000, timestamp: at(3 * MINUTE_MS) }));
    expect(reasonCodes(d)).not.toContain('AMOUNT_OVER_LIMIT');
    expect(reasonCodes(d)).toContain('AMOUNT_OVER_REVIEW_LIMIT');
    expect(d.decision).toBe('review');
  });
});

describe('POST /v1/authorize — features', () => {
  it('?features=true returns the 19 named features of the transaction', async () => {
    const body = tx({ amount: 42.25 });
    const d = await decide(body, '?features=true');
    expect(d.features).toBeDefined();
    const features = d.features as Record<string, number>;
    expect(Object.keys(features)).toHaveLength(19);
    expect(Object.keys(features).sort()).toEqual([...FEATURE_NAMES].sort());
    for (const v of Object.values(features)) expect(Number.isFinite(v)).toBe(true);
    expect(features.tx_amount).toBeCloseTo(42.25, 4);
    expect(features.account_nb_tx_1d).toBe(1);
    expect(features.account_new_terminal_30d).toBe(1);
    expect(features.tx_during_night).toBe(0); // 10:00 UTC
  });

  it('?features=false omits them; an unknown value is rejected', async () => {
    const d = await decide(tx(), '?features=false');
    expect(d).not.toHaveProperty('features');
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize?features=yes', payload: tx() }));
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().code).toBe('VALIDATION_FAILED');
  });

  it("features reflect the account's history: the second distinct transaction has account_nb_tx_1d = 2", async () => {
    const accountId = uid('acc');
    const terminalId = uid('term');
    const first = await decide(tx({ accountId, terminalId, amount: 20, timestamp: at(0) }), '?features=true');
    const second = await decide(tx({ accountId, terminalId, amount: 40, timestamp: at(30 * MINUTE_MS) }), '?features=true');
    expect(first.features?.account_nb_tx_1d).toBe(1);
    expect(second.features?.account_nb_tx_1d).toBe(2);
    expect(second.features?.account_avg_amount_1d).toBeCloseTo(30, 4);
    expect(second.features?.account_new_terminal_30d).toBe(0);
    expect(second.features?.account_log_secs_since_prev_tx).toBeCloseTo(Math.log(1 + 30 * 60), 3);
    expect(txCount(accountId)).toBe(2);
  });
});

describe('POST /v1/authorize — idempotent retries', () => {
  it('the same body twice: identical decision, replayed on the second, applied to the actors once', async () => {
    const body = tx({ amount: 5000 }); // a scored, explained decision
    const first = await decide(body);
    const second = await decide(body);
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.decision).toBe(first.decision);
    expect(second.score).toBe(first.score);
    expect(second.reasons).toEqual(first.reasons);
    expect(second.latencyMs).toBe(first.latencyMs);
    expect(txCount(body.accountId)).toBe(1);
    expect(runtime.registry.terminalSnapshot(body.terminalId)?.context.txCount).toBe(1);
  });

  it('a retry with the same instant written with another offset is the same transaction', async () => {
    const body = tx({ timestamp: '2026-12-04T10:00:00Z' });
    await decide(body);
    const retry = await decide({ ...body, timestamp: '2026-12-04T11:00:00+01:00' });
    expect(retry.replayed).toBe(true);
    expect(txCount(body.accountId)).toBe(1);
  });

  it('a retry over a real socket is replayed', async () => {
    const body = tx();
    const a = (await (await postJson(baseUrl, body)).json()) as DecisionBody;
    const b = (await (await postJson(baseUrl, body)).json()) as DecisionBody;
    expect([a.replayed, b.replayed]).toEqual([false, true]);
    expect(b.score).toBe(a.score);
    expect(txCount(body.accountId)).toBe(1);
  });

  it('5 concurrent identical requests: one decision, one actor update, four replays', async () => {
    const body = tx({ amount: 77 });
    const results = await Promise.all(Array.from({ length: 5 }, () => authorize(body)));
    for (const r of results) expect(r.status).toBe(200);
    const bodies = results.map((r) => r.body);
    expect(bodies.filter((b) => !b.replayed)).toHaveLength(1);
    expect(bodies.filter((b) => b.replayed)).toHaveLength(4);
    expect(new Set(bodies.map((b) => b.score)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.decision)).size).toBe(1);
    expect(txCount(body.accountId)).toBe(1);
  });

  it('the same txId with a different amount → 409 IDEMPOTENCY_CONFLICT, nothing changed', async () => {
    const body = tx({ amount: 10 });
    const first = await decide(body);
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { ...body, amount: 11 } }));
    expect(res.statusCode).toBe(409);
    const err = res.json<ErrorBody>();
    expect(err.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(err.message).toContain(body.txId);
    expect(typeof err.requestId).toBe('string');
    expect(txCount(body.accountId)).toBe(1);
    // The recorded decision still answers a faithful retry.
    const retry = await decide(body);
    expect(retry).toMatchObject({ replayed: true, score: first.score, decision: first.decision });
  });

  it.each([
    ['account', (b: AuthorizeBody) => ({ accountId: `${b.accountId}-x` })],
    ['terminal', (b: AuthorizeBody) => ({ terminalId: `${b.terminalId}-x` })],
    ['currency', () => ({ currency: 'USD' })],
    ['time', () => ({ timestamp: at(1000) })],
  ])('the same txId with a different %s → 409', async (_what, change) => {
    const body = tx();
    await decide(body);
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { ...body, ...change(body) } }));
    expect(res.statusCode).toBe(409);
    expect(res.json<ErrorBody>().code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('a concurrent conflicting request → one 200 and one 409', async () => {
    const body = tx({ amount: 10 });
    const [a, b] = await Promise.all([authorize(body), authorize({ ...body, amount: 12 })]);
    expect([a.status, b.status]).toEqual([200, 409]);
    expect(txCount(body.accountId)).toBe(1);
  });
});

describe('POST /v1/authorize — bad input is rejected and changes nothing', () => {
  interface BadCase {
    readonly name: string;
    /** A raw body (sent as is) or a function of a valid body returning the bad one. */
    readonly payload: string | ((valid: AuthorizeBody) => unknown);
    readonly contentType?: string;
    readonly status: number;
    readonly code: string;
    /** A JSON pointer that must appear in `details`. */
    readonly path?: string;
  }

  const json = (f: (v: AuthorizeBody) => unknown) => f;
  const without = (...keys: (keyof AuthorizeBody)[]) =>
    json((v) => Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k as keyof AuthorizeBody))));

  const cases: BadCase[] = [
    { name: 'missing fields', payload: without('terminalId', 'amount', 'currency', 'timestamp'), status: 400, code: 'VALIDATION_FAILED', path: '/' },
    { name: 'amount as a string', payload: json((v) => ({ ...v, amount: '12.50' })), status: 400, code: 'VALIDATION_FAILED', path: '/amount' },
    { name: 'amount null', payload: json((v) => ({ ...v, amount: null })), status: 400, code: 'VALIDATION_FAILED', path: '/amount' },
    { name: 'negative amount', payload: json((v) => ({ ...v, amount: -0.01 })), status: 400, code: 'VALIDATION_FAILED', path: '/amount' },
    { name: 'huge amount 1e12', payload: json((v) => ({ ...v, amount: 1e12 })), status: 400, code: 'VALIDATION_FAILED', path: '/amount' },
    {
      name: 'amount 1e999 (JSON Infinity)',
      payload: json((v) => JSON.stringify({ ...v, amount: 1 }).replace('"amount":1', '"amount":1e999')),
      status: 400,
      code: 'VALIDATION_FAILED',
      path: '/amount',
    },
    { name: "currency 'eur'", payload: json((v) => ({ ...v, currency: 'eur' })), status: 400, code: 'VALIDATION_FAILED', path: '/currency' },
    { name: "currency 'EURO'", payload: json((v) => ({ ...v, currency: 'EURO' })), status: 400, code: 'VALIDATION_FAILED', path: '/currency' },
    { name: "timestamp 'yesterday'", payload: json((v) => ({ ...v, timestamp: 'yesterday' })), status: 400, code: 'VALIDATION_FAILED', path: '/timestamp' },
    { name: 'timestamp 2026-13-40', payload: json((v) => ({ ...v, timestamp: '2026-13-40T00:00:00Z' })), status: 400, code: 'VALIDATION_FAILED', path: '/timestamp' },
    { name: 'timestamp 2026-02-30', payload: json((v) => ({ ...v, timestamp: '2026-02-30T10:00:00Z' })), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'timestamp without offset', payload: json((v) => ({ ...v, timestamp: '2026-12-04T10:00:00' })), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'timestamp as a number', payload: json((v) => ({ ...v, timestamp: BASE_MS })), status: 400, code: 'VALIDATION_FAILED', path: '/timestamp' },
    { name: 'leap second (valid format, not a time)', payload: json((v) => ({ ...v, timestamp: '2026-12-31T23:59:60Z' })), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown extra property', payload: json((v) => ({ ...v, cardNumber: '4111111111111111' })), status: 400, code: 'VALIDATION_FAILED' },
    { name: "accountId 'a.b'", payload: json((v) => ({ ...v, accountId: 'a.b' })), status: 400, code: 'VALIDATION_FAILED', path: '/accountId' },
    { name: "accountId 'a b'", payload: json((v) => ({ ...v, accountId: 'a b' })), status: 400, code: 'VALIDATION_FAILED', path: '/accountId' },
    { name: "terminalId 'a*'", payload: json((v) => ({ ...v, terminalId: 'a*' })), status: 400, code: 'VALIDATION_FAILED', path: '/terminalId' },
    { name: "deviceId 'a>'", payload: json((v) => ({ ...v, deviceId: 'a>' })), status: 400, code: 'VALIDATION_FAILED', path: '/deviceId' },
    { name: 'empty accountId', payload: json((v) => ({ ...v, accountId: '' })), status: 400, code: 'VALIDATION_FAILED', path: '/accountId' },
    { name: 'accountId of 129 characters', payload: json((v) => ({ ...v, accountId: 'a'.repeat(129) })), status: 400, code: 'VALIDATION_FAILED', path: '/accountId' },
    { name: 'unknown channel', payload: json((v) => ({ ...v, channel: 'telepathy' })), status: 400, code: 'VALIDATION_FAILED', path: '/channel' },
    { name: 'a JSON array', payload: json((v) => [v]), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'JSON null', payload: 'null', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'invalid JSON', payload: json((v) => JSON.stringify(v).slice(0, -3)), status: 400, code: 'INVALID_JSON' },
    { name: 'empty body', payload: '', status: 400, code: 'EMPTY_BODY' },
    { name: 'form-encoded body', payload: json((v) => new URLSearchParams(v as unknown as Record<string, string>).toString()), contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    {
      name: 'oversized body (> server.bodyLimitBytes)',
      payload: json((v) => JSON.stringify({ ...v, metadata: { note: 'x'.repeat(200) }, padding: 'x'.repeat(20_000) })),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
  ];

  async function expectRejectedAndNothingChanged(c: BadCase, contentType = c.contentType ?? 'application/json') {
    const valid = tx();
    const raw = typeof c.payload === 'string' ? c.payload : c.payload(valid);
    const payload = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const accountsBefore = runtime.registry.accountCount;
    const terminalsBefore = runtime.registry.terminalCount;
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload, headers: { 'content-type': contentType } }));
    expect(res.statusCode, res.body).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const err = res.json<ErrorBody>();
    expect(err.code).toBe(c.code);
    expect(typeof err.message).toBe('string');
    expect(err.message.length).toBeGreaterThan(0);
    expect(typeof err.requestId).toBe('string');
    expect(err.requestId.length).toBeGreaterThan(0);
    if (c.path !== undefined) expect(err.details?.map((d) => d.path)).toContain(c.path);
    // Nothing changed: no actor created, no decision recorded for the txId.
    expect(runtime.registry.accountCount).toBe(accountsBefore);
    expect(runtime.registry.terminalCount).toBe(terminalsBefore);
    expect(runtime.registry.accountSnapshot(valid.accountId)).toBeUndefined();
    const fresh = await decide(valid);
    expect(fresh.replayed).toBe(false);
    expect(txCount(valid.accountId)).toBe(1);
  }

  it.each(cases)('$name → $status $code', async (c) => {
    await expectRejectedAndNothingChanged(c);
  });

  it('missing fields are all reported at once', async () => {
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { txId: uid('tx'), accountId: uid('acc') } }));
    expect(res.statusCode).toBe(400);
    const err = res.json<ErrorBody>();
    const messages = (err.details ?? []).map((d) => d.message).join('\n');
    for (const field of ['terminalId', 'amount', 'currency', 'timestamp']) expect(messages).toContain(field);
  });

  it('txId as a number → 400 and changes nothing; the same id as a string is then decided fresh', async () => {
    const n = randomInt(1_000_000_000, 2_000_000_000);
    const valid = tx({ txId: String(n) });
    const accountsBefore = runtime.registry.accountCount;
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { ...valid, txId: n } }));
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/txId' }] });
    expect(runtime.registry.accountCount).toBe(accountsBefore);
    expect((await decide(valid)).replayed).toBe(false);
  });

  it.each(['a.b', 'a b', 'a*'])("txId '%s' → 400 VALIDATION_FAILED and changes nothing", async (txId) => {
    const body = tx({ txId });
    const accountsBefore = runtime.registry.accountCount;
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }));
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/txId' }] });
    expect(runtime.registry.accountCount).toBe(accountsBefore);
    expect(runtime.registry.accountSnapshot(body.accountId)).toBeUndefined();
  });

  // Only JSON is accepted: the built-in text/plain parser is removed.
  it('text/plain → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    await expectRejectedAndNothingChanged(
      { name: 'text/plain', payload: (v) => JSON.stringify(v), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      'text/plain',
    );
  });

  it('a text/plain body is at least never decided', async () => {
    const valid = tx();
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } }));
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(runtime.registry.accountSnapshot(valid.accountId)).toBeUndefined();
  });

  it('application/json with a charset parameter is accepted', async () => {
    const valid = tx();
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: JSON.stringify(valid), headers: { 'content-type': 'application/json; charset=utf-8' } }));
    expect(res.statusCode).toBe(200);
  });

  it('over a real socket: oversized → 413, invalid JSON → 400, both JSON errors', async () => {
    const big = await fetch(`${baseUrl}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ ...tx(), padding: 'x'.repeat(64 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as ErrorBody).code).toBe('BODY_TOO_LARGE');
    const broken = await fetch(`${baseUrl}/v1/authorize`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: '{"txId":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ErrorBody).code).toBe('INVALID_JSON');
  });

  it('a body just under the limit is accepted (the limit is on size, not on metadata)', async () => {
    const valid = { ...tx(), metadata: { note: 'x'.repeat(256) } };
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: valid }));
    expect(res.statusCode).toBe(200);
  });
});

describe('error envelope', () => {
  it('unknown route → 404 NOT_FOUND with a requestId', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    const err = res.json<ErrorBody>();
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('/v1/nothing-here');
    expect(err.requestId.length).toBeGreaterThan(0);
  });

  it('GET on the authorize route is not a route', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/v1/authorize' });
    expect(res.statusCode).toBe(404);
    expect(res.json<ErrorBody>().code).toBe('NOT_FOUND');
  });

  it('a client x-request-id is echoed as requestId (errors of every kind)', async () => {
    const id = uid('req');
    const bad = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { nope: true }, headers: { 'x-request-id': id } }));
    expect(bad.json<ErrorBody>().requestId).toBe(id);
    const missing = await runtime.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': `${id}-2` } });
    expect(missing.json<ErrorBody>().requestId).toBe(`${id}-2`);
    const body = tx();
    await decide(body);
    const conflict = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: { ...body, amount: 1 }, headers: { 'x-request-id': `${id}-3` } }));
    expect(conflict.json<ErrorBody>().requestId).toBe(`${id}-3`);
  });

  it('without x-request-id every error gets its own requestId', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: {} }));
      ids.add(res.json<ErrorBody>().requestId);
    }
    expect(ids.size).toBe(3);
  });

  it('x-request-id is echoed over a real socket', async () => {
    const id = uid('req');
    const res = await fetch(`${baseUrl}/v1/authorize`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id, ...auth() }, body: '{}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).requestId).toBe(id);
  });
});
