/**
 * Test harness: runs `veto serve` as a child process (so it can be killed
 * with SIGKILL), publishes events the way any NATS client would, and reads
 * the state the engine left in Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';

export interface EngineProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A unique, valid subject/key prefix for one test. */
export function uniquePrefix(): string {
  return `vt${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The engine's API keys (service mode refuses to start without): `Authorization: Bearer ${ENGINE_ADMIN_KEY}`. */
export const ENGINE_ADMIN_KEY = 'integration-admin-key-0001';
export const ENGINE_AUTHORIZER_KEY = 'integration-authorizer-key-01';
export const ENGINE_API_KEYS = `${ENGINE_AUTHORIZER_KEY}:authorizer,${ENGINE_ADMIN_KEY}:admin`;

/** Starts `veto serve` (with ENGINE_API_KEYS unless `env` sets VETO_API_KEYS) and resolves once it listens. */
export function startEngine(env: Record<string, string>, timeoutMs = 30_000): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: process.cwd(),
    env: { ...process.env, VETO_HOST: '127.0.0.1', VETO_PORT: '0', VETO_LOG_LEVEL: 'info', VETO_API_KEYS: ENGINE_API_KEYS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /veto listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(m[1]),
          output: () => out,
          kill: (signal = 'SIGKILL') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code} before listening:\n${out}`));
    });
  });
}

export async function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}

/** Publishes JSON through JetStream with Nats-Msg-Id, retrying while the stream is not there yet or the server restarts. */
export async function publishJson(nc: NatsConnection, subject: string, body: unknown, msgId: string): Promise<void> {
  const js = jetstream(nc);
  const data = new TextEncoder().encode(JSON.stringify(body));
  for (let attempt = 0; ; attempt++) {
    try {
      await js.publish(subject, data, { msgID: msgId, timeout: 5000 });
      return;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Waits until the durable consumer has nothing pending or unacknowledged. */
export async function waitDrained(nc: NatsConnection, stream: string, durable: string, timeoutMs: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const info = await jsm.consumers.info(stream, durable);
      last = `pending ${info.num_pending}, ack pending ${info.num_ack_pending}`;
      if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`consumer ${durable} not drained after ${timeoutMs} ms (${last})`);
}

/** Every account snapshot's txCount, from Redis. */
export async function storedTxCounts(redis: Redis, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:{a:*}:snap`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const snap = await redis.hget(key, 'snapshot');
      const id = /\{a:(.*)\}:snap$/.exec(key)?.[1] ?? key;
      counts.set(id, (JSON.parse(snap ?? '{}') as { context?: { txCount?: number } }).context?.txCount ?? -1);
    }
  } while (cursor !== '0');
  return counts;
}

/** Number of keys matching a pattern. */
export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** Deletes a test's keys and streams. */
export async function cleanup(redis: Redis, nc: NatsConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  const jsm = await jetstreamManager(nc);
  for (const s of ['EVENTS', 'DECISIONS', 'DLQ']) await jsm.streams.delete(`${prefix.toUpperCase()}_${s}`).catch(() => false);
}

/** The i-th synthetic transaction of a traffic test: accounts and terminals spread by multiplicative hashing. */
export function syntheticTx(prefix: string, i: number, accounts: number, terminals: number, baseMs = Date.parse('2026-12-01T00:00:00Z')) {
  return {
    txId: `${prefix}-tx-${i}`,
    accountId: `acct-${(i * 7919) % accounts}`,
    terminalId: `term-${(i * 104729) % terminals}`,
    amount: Math.round(((i * 37) % 20000) + 100) / 100,
    currency: 'EUR',
    timestamp: new Date(baseMs + i * 30_000).toISOString(),
  };
}
