/**
 * The analysts' review API end to end (embedded mode): a review decision
 * opens a case, the queue lists it, resolving with `fraud` emits the label
 * (the terminal learns it) and blocks the account, concurrent resolves have
 * exactly one winner, every route checks roles, and the audit trail answers
 * by txId.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import { readBookCsvAll } from '../../src/data/csv-reader.js';
import { ADMIN_KEY, ANALYST_KEY, AUTHORIZER_KEY, auth, startRuntime, tx, type DecisionBody } from './helpers.js';

describe('review API', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    // Every scored transaction goes to review (threshold 0), none is blocked by score.
    runtime = await startRuntime({
      VETO_API_KEYS: `${AUTHORIZER_KEY}:authorizer:gateway,${ADMIN_KEY}:admin:admin,${ANALYST_KEY}:analyst:analyst`,
      VETO_THRESHOLD_REVIEW: '0',
      VETO_THRESHOLD_BLOCK: '1',
      VETO_SCORING_TIMEOUT_MS: '5000',
    });
  });
  afterAll(async () => {
    await runtime?.shutdown();
  });

  const authorize = async (body: ReturnType<typeof tx>) => {
    const res = await runtime.app.inject({ method: 'POST', url: '/v1/authorize', headers: auth(AUTHORIZER_KEY), payload: body });
    expect(res.statusCode).toBe(200);
    return res.json<DecisionBody>();
  };
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, key: string | null, payload?: unknown) =>
    runtime.app.inject({ method, url, headers: key ? auth(key) : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('a review decision opens a case that the queue lists, highest score first', async () => {
    const a = tx({ amount: 20 });
    const b = tx({ amount: 400 });
    expect((await authorize(a)).decision).toBe('review');
    expect((await authorize(b)).decision).toBe('review');
    const res = await call('GET', '/v1/cases?status=open&sort=score&limit=200', ANALYST_KEY);
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: { id: string; score: number }[] }>().items;
    const ids = items.map((c) => c.id);
    expect(ids).toContain(a.txId);
    expect(ids.indexOf(b.txId)).toBeLessThan(ids.indexOf(a.txId));
    const scores = items.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
  });

  it('case detail has the transaction, reasons, features and the account’s current state', async () => {
    const body = tx();
    await authorize(body);
    const res = await call('GET', `/v1/cases/${body.txId}`, ANALYST_KEY);
    expect(res.statusCode).toBe(200);
    const detail = res.json<{ case: { reasons: { code: string }[]; features: Record<string, number>; modelVersion: string }; account: { txCount: number; state: string } }>();
    expect(detail.case.reasons.map((r) => r.code)).toContain('SCORE_REVIEW');
    expect(Object.keys(detail.case.features)).toHaveLength(19);
    expect(detail.case.modelVersion).toBe('mlp-v1');
    expect(detail.account).toMatchObject({ txCount: 1, state: 'active' });
    expect((await call('GET', '/v1/cases/nope', ANALYST_KEY)).statusCode).toBe(404);
  });

  it('resolve fraud: label reaches the terminal, the account is blocked at once, the audit records who', async () => {
    const body = tx();
    await authorize(body);
    expect((await call('POST', `/v1/cases/${body.txId}/assign`, ANALYST_KEY, {})).json()).toMatchObject({ status: 'assigned', assignee: 'analyst' });
    const res = await call('POST', `/v1/cases/${body.txId}/resolve`, ANALYST_KEY, { verdict: 'fraud', note: 'customer denies' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'resolved', verdict: 'fraud', resolvedBy: 'analyst' });
    const terminal = runtime.registry.terminalSnapshot(body.terminalId)?.context.window;
    expect(terminal?.fraud[terminal.txId.indexOf(body.txId)]).toBe(1);
    const account = (await call('GET', `/v1/accounts/${body.accountId}`, ANALYST_KEY)).json<{ state: string; fraudLabels: number }>();
    expect(account).toMatchObject({ state: 'blocked', fraudLabels: 1 });
    const next = await authorize(tx({ accountId: body.accountId, timestamp: new Date(Date.parse(body.timestamp) + 60_000).toISOString() }));
    expect(next.decision).toBe('block');
    expect(next.reasons.map((r) => r.code)).toContain('ACCOUNT_BLOCKED');
    const audit = (await call('GET', `/v1/audit?target=${body.txId}`, ADMIN_KEY)).json<{ actor: string; action: string }[]>();
    expect(audit.map((e) => e.action)).toEqual(['case.resolve', 'case.assign']);
    expect(audit[0]?.actor).toBe('analyst');
  });

  it('concurrent resolves: exactly one wins, the other gets 409', async () => {
    const body = tx();
    await authorize(body);
    const results = await Promise.all([
      call('POST', `/v1/cases/${body.txId}/resolve`, ANALYST_KEY, { verdict: 'legit' }),
      call('POST', `/v1/cases/${body.txId}/resolve`, ADMIN_KEY, { verdict: 'fraud' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.statusCode === 409)?.json()).toMatchObject({ code: 'CONFLICT' });
    const again = await call('POST', `/v1/cases/${body.txId}/resolve`, ANALYST_KEY, { verdict: 'legit' });
    expect(again.statusCode).toBe(409);
  });

  it('admin block and unblock take effect at once; the decision audit answers by txId', async () => {
    const body = tx();
    await authorize(body);
    const blocked = await call('POST', `/v1/accounts/${body.accountId}/block`, ADMIN_KEY, { reason: 'card reported stolen' });
    expect(blocked.json()).toMatchObject({ state: 'blocked', block: { reason: 'card reported stolen', by: 'admin' } });
    const d = await authorize(tx({ accountId: body.accountId, timestamp: new Date(Date.parse(body.timestamp) + 1000).toISOString() }));
    expect(d.decision).toBe('block');
    expect((await call('POST', `/v1/accounts/${body.accountId}/unblock`, ADMIN_KEY, { reason: 'new card' })).json()).toMatchObject({ state: 'active' });
    const audit = await call('GET', `/v1/decisions/${body.txId}`, ANALYST_KEY);
    expect(audit.statusCode).toBe(200);
    expect(audit.json()).toMatchObject({ txId: body.txId, decision: 'review', modelVersion: 'mlp-v1' });
    expect(Object.keys(audit.json<{ features: object }>().features)).toHaveLength(19);
    expect((await call('GET', '/v1/decisions/unknown-tx', ANALYST_KEY)).statusCode).toBe(404);
  });

  it('every review route checks roles: 401 without a key, 403 for the wrong role, nothing changed', async () => {
    const body = tx();
    await authorize(body);
    const routes: ['GET' | 'POST' | 'PUT', string, unknown, 'analyst' | 'admin'][] = [
      ['GET', '/v1/cases', undefined, 'analyst'],
      ['GET', `/v1/cases/${body.txId}`, undefined, 'analyst'],
      ['POST', `/v1/cases/${body.txId}/assign`, {}, 'analyst'],
      ['POST', `/v1/cases/${body.txId}/resolve`, { verdict: 'legit' }, 'analyst'],
      ['GET', `/v1/accounts/${body.accountId}`, undefined, 'analyst'],
      ['GET', `/v1/decisions/${body.txId}`, undefined, 'analyst'],
      ['GET', '/v1/labels/export', undefined, 'analyst'],
      ['POST', `/v1/accounts/${body.accountId}/block`, { reason: 'x' }, 'admin'],
      ['POST', `/v1/accounts/${body.accountId}/unblock`, { reason: 'x' }, 'admin'],
      ['GET', '/v1/audit', undefined, 'admin'],
      ['PUT', '/v1/admin/thresholds', { review: 0, block: 1 }, 'admin'],
      ['PUT', '/v1/admin/lists/blockDevices', { ids: [] }, 'admin'],
    ];
    for (const [method, url, payload, role] of routes) {
      expect((await call(method, url, null, payload)).statusCode, `${method} ${url} without key`).toBe(401);
      expect((await call(method, url, AUTHORIZER_KEY, payload)).statusCode, `${method} ${url} as authorizer`).toBe(403);
      if (role === 'admin') expect((await call(method, url, ANALYST_KEY, payload)).statusCode, `${method} ${url} as analyst`).toBe(403);
    }
    const c = (await call('GET', `/v1/cases/${body.txId}`, ANALYST_KEY)).json<{ case: { status: string; version: number } }>();
    expect(c.case).toMatchObject({ status: 'open', version: 1 });
    expect((await call('GET', `/v1/accounts/${body.accountId}`, ANALYST_KEY)).json()).toMatchObject({ state: 'active' });
  });

  it('labels export: resolved cases as a book-schema CSV that veto train can read', async () => {
    const body = tx({ amount: 77.5 });
    await authorize(body);
    await call('POST', `/v1/cases/${body.txId}/resolve`, ANALYST_KEY, { verdict: 'fraud' });
    const res = await call('GET', '/v1/labels/export', ANALYST_KEY);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const file = join(mkdtempSync(join(tmpdir(), 'veto-labels-')), 'labels.csv');
    writeFileSync(file, res.body);
    const { rows, badRows } = await readBookCsvAll(file);
    expect(badRows).toEqual([]);
    expect(rows.find((r) => r.txId === body.txId)).toMatchObject({ accountId: body.accountId, amount: 77.5, fraud: 1 });
  });

  it('admin changes thresholds (audited); a bad pair is refused', async () => {
    expect((await call('PUT', '/v1/admin/thresholds', ADMIN_KEY, { review: 0.9, block: 0.1 })).statusCode).toBe(400);
    expect((await call('PUT', '/v1/admin/thresholds', ADMIN_KEY, { review: 0.5, block: 0.99 })).json()).toEqual({ review: 0.5, block: 0.99 });
    const audit = (await call('GET', '/v1/audit?target=policy', ADMIN_KEY)).json<{ action: string }[]>();
    expect(audit[0]?.action).toBe('admin.thresholds');
  });
});
