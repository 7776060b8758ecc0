/**
 * The review loop in service mode (real NATS and Redis): cases opened by the
 * HTTP path and by the event path persist in Redis and survive an engine
 * restart; a fraud verdict is published as a label event, consumed like a
 * chargeback, and reaches the terminal's risk window; the account is blocked;
 * `veto export-labels` writes the verdict for training.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { cleanup, natsClient, publishJson, uniquePrefix, waitDrained } from './engine-process.js';
import { describeWithServices, natsUrl, redisUrl } from './services.js';

const ANALYST = 'it-analyst-key-0000001';
const AUTHORIZER = 'it-authorizer-key-00001';

await describeWithServices(['nats', 'redis'], 'review loop on NATS and Redis', () => {
  const prefix = uniquePrefix();
  const env = {
    VETO_NATS_URL: natsUrl(),
    VETO_REDIS_URL: redisUrl(),
    VETO_SUBJECT_PREFIX: prefix,
    VETO_REDIS_PREFIX: prefix,
    VETO_ACK_WAIT_MS: '2000',
    VETO_API_KEYS: `${AUTHORIZER}:authorizer:gateway,${ANALYST}:analyst:alice`,
    VETO_THRESHOLD_REVIEW: '0',
    VETO_THRESHOLD_BLOCK: '1',
    VETO_SCORING_TIMEOUT_MS: '2000',
  };
  let runtime: Runtime;
  let nc: NatsConnection;
  let redis: Redis;
  const stream = `${prefix.toUpperCase()}_EVENTS`;
  const h = (key: string) => ({ authorization: `Bearer ${key}` });
  const body = (txId: string, accountId: string, terminalId: string, min: number) => ({
    txId: `${prefix}-${txId}`, accountId, terminalId, amount: 25, currency: 'EUR', timestamp: new Date(Date.parse('2026-12-04T10:00:00Z') + min * 60_000).toISOString(),
  });

  beforeAll(async () => {
    runtime = await createRuntime(loadConfig(env, 'config'));
    nc = await natsClient(natsUrl());
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await runtime?.shutdown();
    await cleanup(redis, nc, prefix);
    await nc.close();
    redis.disconnect();
  });

  it('cases from both paths, a fraud verdict that the terminal learns, restart, export', async () => {
    const viaHttp = body('h1', 'acct-1', 'term-1', 0);
    const res = await runtime.app.inject({ method: 'POST', url: '/v1/authorize', headers: h(AUTHORIZER), payload: viaHttp });
    expect(res.json()).toMatchObject({ decision: 'review' });
    const viaNats = body('n1', 'acct-2', 'term-1', 1);
    await publishJson(nc, `${prefix}.tx.acct-2`, viaNats, viaNats.txId);
    await waitDrained(nc, stream, 'veto-engine', 20_000);

    const queue = await runtime.app.inject({ method: 'GET', url: '/v1/cases?status=open', headers: h(ANALYST) });
    expect(queue.json<{ items: { id: string }[] }>().items.map((c) => c.id).sort()).toEqual([viaHttp.txId, viaNats.txId].sort());

    const resolved = await runtime.app.inject({ method: 'POST', url: `/v1/cases/${viaNats.txId}/resolve`, headers: h(ANALYST), payload: { verdict: 'fraud', note: 'chargeback expected' } });
    expect(resolved.json()).toMatchObject({ status: 'resolved', verdict: 'fraud', resolvedBy: 'alice' });
    // The verdict travels as a label event on <prefix>.label.<accountId> and is consumed like a chargeback.
    await new Promise((r) => setTimeout(r, 300));
    await waitDrained(nc, stream, 'veto-engine', 20_000);
    const terminal = JSON.parse((await redis.hget(`${prefix}:{t:term-1}:snap`, 'snapshot')) ?? '{}') as { context: { window: { txId: string[]; fraud: number[] } } };
    expect(terminal.context.window.fraud[terminal.context.window.txId.indexOf(viaNats.txId)]).toBe(1);
    const account = JSON.parse((await redis.hget(`${prefix}:{a:acct-2}:snap`, 'snapshot')) ?? '{}') as { value: string; context: { fraudLabels: number } };
    expect(account.value).toBe('blocked');
    expect(account.context.fraudLabels).toBe(1);

    // A new engine process sees the same cases (they live in Redis).
    await runtime.shutdown();
    runtime = await createRuntime(loadConfig(env, 'config'));
    const all = await runtime.app.inject({ method: 'GET', url: '/v1/cases?sort=time', headers: h(ANALYST) });
    expect(all.json<{ items: { id: string; status: string }[] }>().items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: viaNats.txId, status: 'resolved' }), expect.objectContaining({ id: viaHttp.txId, status: 'open' })]),
    );
    const blocked = await runtime.app.inject({ method: 'POST', url: '/v1/authorize', headers: h(AUTHORIZER), payload: body('h2', 'acct-2', 'term-9', 5) });
    expect(blocked.json()).toMatchObject({ decision: 'block' });

    const out = join(mkdtempSync(join(tmpdir(), 'veto-export-')), 'labels.csv');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export-labels', '--out', out], { env: { ...process.env, ...env } });
    const csv = readFileSync(out, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD/);
    expect(csv).toContain(`${viaNats.txId},`);
    expect(csv.split('\n').find((l) => l.startsWith(viaNats.txId))?.split(',')[5]).toBe('1');
  }, 90_000);
});
