/**
 * Restart test: NATS and Redis are each restarted while transactions flow,
 * and the engine — the same process, never restarted — recovers by itself:
 * afterwards every account's txCount equals the number of its transactions
 * published, every transaction has exactly one decision in Redis, and the
 * decision stream holds exactly one message per transaction. GET /ready
 * reports the Redis (and NATS) outage with 503 and is 200 again at the end.
 *
 * The shared services are not touched (other test files use them): the test
 * starts its own nats-server (JetStream file store) and redis-server (AOF,
 * fsync always) on free ports in a temporary directory and restarts those.
 * Skipped when the binaries are missing; failed instead with
 * VETO_REQUIRE_SERVICES=1.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countKeys, syntheticTx, natsClient, publishJson, startEngine, storedTxCounts, uniquePrefix, waitDrained, type EngineProcess } from './engine-process.js';
import { freePort, makeTempDir, natsServerBinary, NATS_SERVER_PATH, redisServerBinary, removeDir, startNats, startRedis, type OwnServer } from './own-servers.js';
import { servicesRequired } from './services.js';

const N = 3000;
const ACCOUNTS = 200;
const TERMINALS = 100;
/** Published in slices of SLICE with a pause between them, so traffic flows for a few seconds. */
const SLICE = 50;
const SLICE_PAUSE_MS = 80;
/** Where the restarts begin (transaction index). */
const NATS_RESTART_AT = 1000;
const REDIS_RESTART_AT = 2000;
const OUTAGE_MS = 1000;

const TITLE = 'restart test: NATS and Redis restart during traffic; the engine recovers and the counts match';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface ReadySample {
  readonly at: number;
  readonly status: number;
  readonly checks: Record<string, boolean>;
}

/** GET /ready of the engine (status 0 when it does not answer). */
async function ready(port: number): Promise<ReadySample> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { checks?: Record<string, boolean> };
    return { at: Date.now(), status: res.status, checks: body.checks ?? {} };
  } catch {
    return { at: Date.now(), status: 0, checks: {} };
  }
}

/** Polls GET /ready every 50 ms until the returned function is called; that resolves with the samples. */
function pollReady(port: number): () => Promise<ReadySample[]> {
  const samples: ReadySample[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      samples.push(await ready(port));
      await sleep(50);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return samples;
  };
}

const missing = [
  ...(natsServerBinary() === undefined ? [`nats-server (${NATS_SERVER_PATH})`] : []),
  ...(redisServerBinary() === undefined ? ['redis-server (on PATH)'] : []),
];

if (missing.length > 0 && servicesRequired()) {
  describe(TITLE, () => {
    it('requires the nats-server and redis-server binaries', () => {
      throw new Error(`${missing.join(' and ')} not found and VETO_REQUIRE_SERVICES=1`);
    });
  });
} else {
  describe.skipIf(missing.length > 0)(missing.length > 0 ? `${TITLE} (skipped: ${missing.join(' and ')} not found)` : TITLE, () => {
    const prefix = uniquePrefix();
    let dir: string | undefined;
    let nats: OwnServer | undefined;
    let redisServer: OwnServer | undefined;
    let nc: NatsConnection | undefined;
    let redis: Redis | undefined;
    let engine: EngineProcess | undefined;

    beforeAll(async () => {
      dir = makeTempDir('veto-restart-');
      nats = await startNats({ port: await freePort(), storeDir: join(dir, 'nats') });
      redisServer = await startRedis({ port: await freePort(), dir: join(dir, 'redis') });
      nc = await natsClient(nats.url);
    });

    afterAll(async () => {
      await engine?.kill('SIGKILL');
      await nc?.close().catch(() => undefined);
      redis?.disconnect();
      await nats?.stop();
      await redisServer?.stop();
      if (dir !== undefined) removeDir(dir);
    });

    it('recovers without manual action; none lost, none counted twice', async () => {
      if (!nats || !redisServer || !nc) throw new Error('beforeAll did not start the servers');
      const natsServer = nats;
      const redisSrv = redisServer;
      const client = nc;
      const started = Date.now();
      const e = await startEngine({
        VETO_NATS_URL: natsServer.url,
        VETO_REDIS_URL: redisSrv.url,
        VETO_SUBJECT_PREFIX: prefix,
        VETO_REDIS_PREFIX: prefix,
        VETO_ACK_WAIT_MS: '2000',
        VETO_FETCH_BATCH: '64',
        VETO_MAX_RESIDENT: '50', // actors are passivated and restored from Redis, also after its restart
      });
      engine = e;
      const diagnostics = () =>
        `\n--- engine output ---\n${e.output().slice(-20_000)}\n--- nats-server ---\n${natsServer.output().slice(-4000)}\n--- redis-server ---\n${redisSrv.output().slice(-4000)}`;

      const outage = async (server: OwnServer) => {
        await server.stop();
        await sleep(OUTAGE_MS);
        await server.restart();
      };
      let natsSamples: Promise<ReadySample[]> | undefined;
      let redisSamples: Promise<ReadySample[]> | undefined;
      let natsRestart: Promise<void> | undefined;
      let redisRestart: Promise<void> | undefined;
      const timeline: string[] = [];
      const mark = (what: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(2)} s: ${what}`);

      const expected = new Map<string, number>();
      const base = Date.parse('2026-12-01T00:00:00Z');
      let inflight: Promise<void>[] = [];
      for (let i = 0; i < N; i++) {
        if (i === NATS_RESTART_AT) {
          mark('NATS stop');
          const stopPolling = pollReady(e.port);
          natsRestart = outage(natsServer).then(async () => {
            mark('NATS started again');
            await sleep(1000);
            natsSamples = stopPolling();
          });
          natsRestart.catch(() => undefined); // awaited (and reported) after publishing
        }
        if (i === REDIS_RESTART_AT) {
          mark('Redis stop');
          const stopPolling = pollReady(e.port);
          redisRestart = outage(redisSrv).then(async () => {
            mark('Redis started again');
            await sleep(1000);
            redisSamples = stopPolling();
          });
          redisRestart.catch(() => undefined); // awaited (and reported) after publishing
        }
        const body = syntheticTx(prefix, i, ACCOUNTS, TERMINALS, base);
        const accountId = body.accountId;
        expected.set(accountId, (expected.get(accountId) ?? 0) + 1);
        inflight.push(publishJson(client, `${prefix}.tx.${accountId}`, body, body.txId));
        if (inflight.length >= SLICE) {
          await Promise.all(inflight);
          inflight = [];
          await sleep(SLICE_PAUSE_MS);
        }
      }
      await Promise.all(inflight);
      mark('all published');
      await natsRestart;
      await redisRestart;
      await waitDrained(client, `${prefix.toUpperCase()}_EVENTS`, 'veto-engine', 90_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${timeline.join('\n')}${diagnostics()}`);
      });
      mark('drained');

      // The same engine process did it all: it never exited.
      expect(e.child.exitCode, `the engine exited${diagnostics()}`).toBeNull();
      expect(e.child.signalCode).toBeNull();

      redis = new Redis(redisSrv.url, { maxRetriesPerRequest: 3 });
      const counts = await storedTxCounts(redis, prefix);
      const wrong = [...expected].filter(([id, n]) => counts.get(id) !== n).map(([id, n]) => `${id}: published ${n}, counted ${counts.get(id)}`);
      expect(wrong, `txCount mismatch\n${timeline.join('\n')}${diagnostics()}`).toEqual([]);
      expect(counts.size).toBe(ACCOUNTS);
      // Exactly one decision per transaction: in Redis …
      expect(await countKeys(redis, `${prefix}:{a:*}:dec:*`)).toBe(N);
      // … and on the decision stream (published with Nats-Msg-Id = txId).
      const jsm = await jetstreamManager(client);
      const decisions = await jsm.streams.info(`${prefix.toUpperCase()}_DECISIONS`);
      expect(decisions.state.messages).toBe(N);

      // GET /ready reported the outages …
      const duringRedis = (await redisSamples) ?? [];
      const duringNats = (await natsSamples) ?? [];
      const summary = (s: readonly ReadySample[]) => s.map((x) => `${x.status}${x.status === 503 ? JSON.stringify(x.checks) : ''}`).join(' ');
      expect(
        duringRedis.some((s) => s.status === 503 && s.checks.redis === false),
        `no 503 with checks.redis=false while Redis was down: ${summary(duringRedis)}`,
      ).toBe(true);
      expect(
        duringNats.some((s) => s.status === 503 && s.checks.nats === false),
        `no 503 with checks.nats=false while NATS was down: ${summary(duringNats)}`,
      ).toBe(true);
      // … and is 200 again.
      let last = await ready(e.port);
      for (const until = Date.now() + 15_000; last.status !== 200 && Date.now() < until; ) {
        await sleep(200);
        last = await ready(e.port);
      }
      expect(last.status, JSON.stringify(last.checks)).toBe(200);
      expect(last.checks).toMatchObject({ redis: true, nats: true });
      mark('done');
      console.log(`restart test timeline:\n${timeline.join('\n')}`);
    }, 180_000);
  });
}
