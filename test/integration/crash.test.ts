/**
 * Crash test: 10,000 transactions over many accounts are published while the
 * engine process is killed with SIGKILL (twice, at random points) and
 * restarted. Afterwards every account's txCount equals the number of its
 * transactions published — none lost, none counted twice — and every
 * transaction has exactly one decision (in Redis and on the decision stream).
 * Some transactions are published twice (publisher retries), and one batch is
 * re-published with new message ids after the duplicate window would have
 * caught them (idempotency by txId).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, countKeys, natsClient, publishJson, startEngine, storedTxCounts, syntheticTx, uniquePrefix, waitDrained, type EngineProcess } from './engine-process.js';
import { describeWithServices, natsUrl, redisUrl } from './services.js';

const N = 10_000;
const ACCOUNTS = 700;
const TERMINALS = 300;

await describeWithServices(['nats', 'redis'], 'crash test: SIGKILL during traffic loses and double-counts nothing', () => {
  const prefix = uniquePrefix();
  let nc: NatsConnection;
  let redis: Redis;
  let engine: EngineProcess | undefined;
  const env = {
    VETO_NATS_URL: natsUrl(),
    VETO_REDIS_URL: redisUrl(),
    VETO_SUBJECT_PREFIX: prefix,
    VETO_REDIS_PREFIX: prefix,
    VETO_ACK_WAIT_MS: '2000',
    VETO_FETCH_BATCH: '128',
    VETO_MAX_RESIDENT: '200', // passivation happens during the test too
  };

  beforeAll(async () => {
    nc = await natsClient(natsUrl());
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await engine?.kill('SIGKILL');
    await cleanup(redis, nc, prefix);
    await nc.close();
    redis.disconnect();
  });

  it('every account counts each published transaction exactly once', async () => {
    engine = await startEngine(env);
    const expected = new Map<string, number>();
    const base = Date.parse('2026-12-01T00:00:00Z');
    const killAt = new Set([2000 + Math.floor(Math.random() * 3000), 6000 + Math.floor(Math.random() * 3000)]);
    const restarts: Promise<void>[] = [];
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      const body = syntheticTx(prefix, i, ACCOUNTS, TERMINALS, base);
      const accountId = body.accountId;
      expected.set(accountId, (expected.get(accountId) ?? 0) + 1);
      inflight.push(publishJson(nc, `${prefix}.tx.${accountId}`, body, body.txId));
      if (i % 50 === 0) inflight.push(publishJson(nc, `${prefix}.tx.${accountId}`, body, body.txId)); // publisher retry
      if (i % 500 === 0) inflight.push(publishJson(nc, `${prefix}.tx.${accountId}`, body, `${body.txId}-retry-after-window`));
      if (inflight.length >= 200) await Promise.all(inflight.splice(0));
      if (killAt.has(i)) {
        await Promise.all(inflight.splice(0));
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 700)); // let it work on a batch
        await engine.kill('SIGKILL');
        restarts.push(
          startEngine(env).then((e) => {
            engine = e;
          }),
        );
        await restarts.at(-1);
      }
    }
    await Promise.all(inflight);
    await waitDrained(nc, `${prefix.toUpperCase()}_EVENTS`, 'veto-engine', 120_000);

    const counts = await storedTxCounts(redis, prefix);
    const wrong = [...expected].filter(([id, n]) => counts.get(id) !== n).map(([id, n]) => `${id}: published ${n}, counted ${counts.get(id)}`);
    expect(wrong).toEqual([]);
    expect(counts.size).toBe(ACCOUNTS);
    // Exactly one decision per transaction: in Redis …
    expect(await countKeys(redis, `${prefix}:{a:*}:dec:*`)).toBe(N);
    // … and on the decision stream (published with Nats-Msg-Id = txId).
    const jsm = await jetstreamManager(nc);
    const decisions = await jsm.streams.info(`${prefix.toUpperCase()}_DECISIONS`);
    expect(decisions.state.messages).toBe(N);
    expect(killAt.size).toBe(2);
  }, 240_000);
});
