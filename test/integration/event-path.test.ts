/**
 * The event path against the real NATS and Redis, in process: events on the
 * documented subjects update features and produce decisions on
 * `<prefix>.decision.<accountId>`; `<prefix>.authorize` request/reply;
 * malformed messages go to `<prefix>.dlq.<reason>` and change nothing;
 * duplicates are counted once; evicted accounts are restored exactly.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { cleanup, ENGINE_API_KEYS, natsClient, publishJson, uniquePrefix, waitDrained } from './engine-process.js';
import { describeWithServices, natsUrl, redisUrl } from './services.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Collects a subscription's messages; `next()` waits for the following one. */
function collect(nc: NatsConnection, subject: string) {
  const queue: { subject: string; json: Record<string, unknown> }[] = [];
  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) queue.push({ subject: msg.subject, json: JSON.parse(dec.decode(msg.data)) as Record<string, unknown> });
    },
  });
  let read = 0;
  return {
    async next(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (queue.length <= read) {
        if (Date.now() > until) throw new Error(`no message on ${subject} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return queue[read++] as { subject: string; json: Record<string, unknown> };
    },
    unsubscribe: () => sub.unsubscribe(),
  };
}

await describeWithServices(['nats', 'redis'], 'event path on NATS JetStream and Redis', () => {
  const prefix = uniquePrefix();
  let runtime: Runtime;
  let nc: NatsConnection;
  let redis: Redis;
  const ts = (min: number) => new Date(Date.parse('2026-12-04T10:00:00Z') + min * 60_000).toISOString();
  const tx = (txId: string, accountId: string, min: number, amount = 20) => ({ txId: `${prefix}-${txId}`, accountId, terminalId: 'term-1', amount, currency: 'EUR', timestamp: ts(min) });

  beforeAll(async () => {
    const config = loadConfig(
      // API keys: service mode requires them (NATS request/reply itself is not subject to them).
      { VETO_API_KEYS: ENGINE_API_KEYS, VETO_NATS_URL: natsUrl(), VETO_REDIS_URL: redisUrl(), VETO_SUBJECT_PREFIX: prefix, VETO_REDIS_PREFIX: prefix, VETO_ACK_WAIT_MS: '2000', VETO_MAX_RESIDENT: '1', VETO_SCORING_TIMEOUT_MS: '2000' },
      'config',
    );
    runtime = await createRuntime(config);
    nc = await natsClient(natsUrl());
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await runtime?.shutdown();
    await cleanup(redis, nc, prefix);
    await nc.close();
    redis.disconnect();
  });

  it('transactions published on <prefix>.tx.<accountId> produce decisions with updated features', async () => {
    const sub = collect(nc, `${prefix}.decision.acct-a`);
    await publishJson(nc, `${prefix}.tx.acct-a`, tx('a1', 'acct-a', 0), `${prefix}-a1`);
    await publishJson(nc, `${prefix}.tx.acct-a`, tx('a2', 'acct-a', 1, 30), `${prefix}-a2`);
    const first = await sub.next();
    const second = await sub.next();
    expect(first.json.txId).toBe(`${prefix}-a1`);
    expect(['allow', 'review', 'block']).toContain(first.json.decision);
    expect((second.json.features as Record<string, number>).account_nb_tx_1d).toBe(2);
    expect((second.json.features as Record<string, number>).account_avg_amount_1d).toBe(25);
    sub.unsubscribe();
  });

  it('veto.authorize request/reply answers like POST /v1/authorize, from plain JSON bytes', async () => {
    const body = tx('r1', 'acct-r', 0);
    const reply = await nc.request(`${prefix}.authorize`, enc.encode(JSON.stringify(body)), { timeout: 5000 });
    const json = JSON.parse(dec.decode(reply.data)) as Record<string, unknown>;
    expect(json.txId).toBe(body.txId);
    expect(json.replayed).toBe(false);
    expect(json.modelVersion).toBe('mlp-v1');
    const again = JSON.parse(dec.decode((await nc.request(`${prefix}.authorize`, enc.encode(JSON.stringify(body)), { timeout: 5000 })).data)) as Record<string, unknown>;
    expect(again.replayed).toBe(true);
    const bad = JSON.parse(dec.decode((await nc.request(`${prefix}.authorize`, enc.encode('{"txId": 1}'), { timeout: 5000 })).data)) as Record<string, unknown>;
    expect(bad.code).toBe('INVALID_EVENT');
    // The decision is durable in Redis with the account's snapshot.
    expect(await redis.exists(`${prefix}:{a:acct-r}:dec:${body.txId}`)).toBe(1);
  });

  it('malformed messages land in the DLQ with the payload and the error, and change nothing', async () => {
    const dlq = collect(nc, `${prefix}.dlq.>`);
    await publishJson(nc, `${prefix}.tx.acct-bad`, { txId: 'x', accountId: 'acct-bad', amount: -1 }, `${prefix}-bad1`);
    const letter = await dlq.next();
    expect(letter.subject).toBe(`${prefix}.dlq.invalid-event`);
    expect(letter.json.subject).toBe(`${prefix}.tx.acct-bad`);
    expect(String(letter.json.payload)).toContain('"amount":-1');
    expect(JSON.stringify(letter.json.error)).toMatch(/terminalId|amount/);
    expect(await redis.exists(`${prefix}:{a:acct-bad}:snap`)).toBe(0);
    dlq.unsubscribe();
  });

  it('duplicates (same msg id, and the same txId under a new msg id) are counted once', async () => {
    const body = tx('d1', 'acct-d', 0);
    await publishJson(nc, `${prefix}.tx.acct-d`, body, body.txId);
    await publishJson(nc, `${prefix}.tx.acct-d`, body, body.txId);
    await publishJson(nc, `${prefix}.tx.acct-d`, body, `${body.txId}-other-id`);
    await publishJson(nc, `${prefix}.tx.acct-d`, tx('d2', 'acct-d', 1), `${prefix}-d2`);
    await waitDrained(nc, `${prefix.toUpperCase()}_EVENTS`, 'veto-engine', 20_000);
    const snap = JSON.parse((await redis.hget(`${prefix}:{a:acct-d}:snap`, 'snapshot')) ?? '{}') as { context: { txCount: number } };
    expect(snap.context.txCount).toBe(2);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`${prefix.toUpperCase()}_EVENTS`)).state.messages).toBeGreaterThanOrEqual(3);
  });

  it('passivation: an evicted account is restored exactly from Redis', async () => {
    await publishJson(nc, `${prefix}.tx.acct-p`, tx('p1', 'acct-p', 0, 10), `${prefix}-p1`);
    await publishJson(nc, `${prefix}.tx.acct-p`, tx('p2', 'acct-p', 1, 50), `${prefix}-p2`);
    await waitDrained(nc, `${prefix.toUpperCase()}_EVENTS`, 'veto-engine', 20_000);
    const stored = await redis.hget(`${prefix}:{a:acct-p}:snap`, 'snapshot');
    // Another account's event: with at most 1 resident actor, acct-p is evicted.
    await publishJson(nc, `${prefix}.tx.acct-q`, tx('q1', 'acct-q', 0), `${prefix}-q1`);
    await waitDrained(nc, `${prefix.toUpperCase()}_EVENTS`, 'veto-engine', 20_000);
    expect(runtime.registry.accounts.has('acct-p')).toBe(false);
    const sub = collect(nc, `${prefix}.decision.acct-p`);
    await publishJson(nc, `${prefix}.tx.acct-p`, tx('p3', 'acct-p', 2, 30), `${prefix}-p3`);
    const d = await sub.next();
    const f = d.json.features as Record<string, number>;
    expect(f.account_nb_tx_1d).toBe(3);
    expect(f.account_avg_amount_1d).toBe(30);
    const restoredBefore = JSON.parse(stored ?? '{}') as { context: { window: { t: number[]; amount: number[] } } };
    const after = runtime.registry.accountSnapshot('acct-p')?.context;
    expect(after?.window.amount.slice(0, 2)).toEqual(restoredBefore.context.window.amount);
    expect(after?.txCount).toBe(3);
    sub.unsubscribe();
  });
});
