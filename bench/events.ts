/**
 * Event-path benchmarks against the real NATS and Redis:
 * - baseline: a bare JetStream pull consume-and-ack loop (batches of 256) over M messages;
 * - veto: the same number of transactions through JetStream → actors → model →
 *   Redis commit → decision published → ack (the engine in process);
 * - memory: RSS after 1,000,000 distinct accounts through the event processor
 *   with Redis and passivation (max resident actors bounded).
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/app/config.js';
import { createRuntime } from '../src/app/runtime.js';
import { RedisStateStore } from '../src/adapters/redis/mod.js';
import { EventProcessor, type InboundEvent } from '../src/engine/event-processor.js';

const NATS = process.env.VETO_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS = process.env.VETO_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Service mode refuses to start without API keys (the event path itself does not use them). */
const API_KEYS = 'bench-events-admin-key-0001:admin';
const enc = new TextEncoder();
const T0 = Date.parse('2026-12-01T00:00:00Z');

function txBody(i: number, accounts: number, runId: string) {
  const a = (i * 7919) % accounts;
  return { txId: `${runId}-${i}`, accountId: `acct-${a}`, terminalId: `term-${(i * 104729) % 5000}`, amount: ((i * 37) % 20000) / 100 + 1, currency: 'EUR', timestamp: new Date(T0 + i * 1000).toISOString() };
}

async function publishAll(nc: NatsConnection, prefix: string, n: number, accounts: number, runId: string): Promise<void> {
  const js = jetstream(nc);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const b = txBody(i, accounts, runId);
    pending.push(js.publish(`${prefix}.tx.${b.accountId}`, enc.encode(JSON.stringify(b)), { msgID: b.txId }));
    if (pending.length >= 500) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
}

async function dropStreams(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const s of ['EVENTS', 'DECISIONS', 'DLQ', 'BARE']) await jsm.streams.delete(`${prefix.toUpperCase()}_${s}`).catch(() => false);
}

async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Bare JetStream: pull batches of 256, ack every message, until M are consumed. */
async function bareLoop(nc: NatsConnection, prefix: string, n: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const stream = `${prefix.toUpperCase()}_BARE`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.bare.>`] });
  const js = jetstream(nc);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const b = txBody(i, 1000, prefix);
    pending.push(js.publish(`${prefix}.bare.${b.accountId}`, enc.encode(JSON.stringify(b))));
    if (pending.length >= 500) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await jsm.consumers.add(stream, { durable_name: 'bare', ack_policy: AckPolicy.Explicit, max_ack_pending: 1024 });
  const consumer = await js.consumers.get(stream, 'bare');
  const started = performance.now();
  let seen = 0;
  while (seen < n) {
    const iter = await consumer.fetch({ max_messages: Math.min(256, n - seen), expires: 1000 });
    let last;
    for await (const m of iter) {
      JSON.parse(new TextDecoder().decode(m.data));
      m.ack();
      last = m;
      seen++;
    }
    if (last) await last.ackAck();
  }
  return n / ((performance.now() - started) / 1000);
}

/** The engine in process consuming M pre-published transactions until its consumer is drained. */
async function engineLoop(nc: NatsConnection, redis: Redis, prefix: string, n: number): Promise<number> {
  const config = loadConfig({ VETO_API_KEYS: API_KEYS, VETO_NATS_URL: NATS, VETO_REDIS_URL: REDIS, VETO_SUBJECT_PREFIX: prefix, VETO_REDIS_PREFIX: prefix, VETO_LOG_LEVEL: 'warn' }, 'config');
  // Create the streams first (a runtime does it), publish, then time a fresh runtime consuming everything.
  const setup = await createRuntime(config);
  await setup.shutdown();
  await publishAll(nc, prefix, n, 20_000, prefix);
  const jsm = await jetstreamManager(nc);
  const runtime = await createRuntime(config);
  for (;;) {
    const info = await jsm.consumers.info(`${prefix.toUpperCase()}_EVENTS`, 'veto-engine');
    if (info.num_pending === 0 && info.num_ack_pending === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Throughput from the first to the last decision stored on the decision stream (excludes start-up).
  const state = (await jsm.streams.info(`${prefix.toUpperCase()}_DECISIONS`)).state;
  const elapsed = (Date.parse(state.last_ts) - Date.parse(state.first_ts)) / 1000;
  await runtime.shutdown();
  if (state.messages !== n) console.log(`WARNING: ${state.messages} decisions for ${n} transactions`);
  void redis;
  return (n - 1) / elapsed;
}

/** RSS after `accounts` distinct accounts through the processor with Redis and passivation. */
async function millionAccounts(prefix: string, accounts: number, maxResident: number) {
  const config = loadConfig({ VETO_API_KEYS: API_KEYS, VETO_REDIS_URL: REDIS, VETO_REDIS_PREFIX: prefix, VETO_MAX_RESIDENT: String(maxResident), VETO_LOG_LEVEL: 'warn' }, 'config');
  const runtime = await createRuntime(config);
  const store = new RedisStateStore({ url: REDIS, prefix, decisionRetentionSeconds: 3600 });
  const processor = new EventProcessor(runtime.engine, runtime.registry, store, { publishDecision: async () => {}, deadLetter: async () => {} }, {
    prefix: 'veto',
    maxResident: maxResident,
    idleMs: 60_000,
  });
  const started = performance.now();
  const batch = 256;
  let peakRss = 0;
  for (let i = 0; i < accounts; i += batch) {
    const events: InboundEvent[] = [];
    for (let k = i; k < Math.min(accounts, i + batch); k++) {
      const b = { txId: `${prefix}-m${k}`, accountId: `m-${k}`, terminalId: `term-${k % 10_000}`, amount: 10 + (k % 90), currency: 'EUR', timestamp: new Date(T0 + k * 10).toISOString() };
      events.push({ seq: k + 1, subject: `veto.tx.${b.accountId}`, data: enc.encode(JSON.stringify(b)), redelivered: false });
    }
    await processor.process(events);
    if (i % 65_536 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  const result = { accounts, seconds, txPerSec: accounts / seconds, rssMb: rss / 1048576, peakRssMb: Math.max(peakRss, rss) / 1048576, resident: runtime.registry.accountCount, maxResident };
  await store.close();
  await runtime.shutdown();
  return result;
}

export async function benchEvents(options: { messages: number; accounts: number; maxResident: number }) {
  const nc = await connect({ servers: NATS });
  const redis = new Redis(REDIS);
  const runId = `vb${Date.now().toString(36)}`;
  try {
    const bare = await bareLoop(nc, `${runId}b`, options.messages);
    const veto = await engineLoop(nc, redis, `${runId}e`, options.messages);
    const memory = await millionAccounts(`${runId}m`, options.accounts, options.maxResident);
    return { messages: options.messages, bareMsgPerSec: bare, vetoTxPerSec: veto, ratio: veto / bare, memory, natsVersion: nc.info?.version };
  } finally {
    for (const p of [`${runId}b`, `${runId}e`, `${runId}m`]) {
      await dropStreams(nc, p);
      await dropKeys(redis, p);
    }
    await nc.close();
    redis.disconnect();
  }
}
