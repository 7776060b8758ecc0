/**
 * Helpers of the NATS adapter tests: unique prefixes and stream names per
 * test (deleted in afterAll), polling, a collecting batch handler, and a
 * private nats-server process for restart tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { EventConsumer, type BatchResult, type InboundEvent } from '../../src/adapters/nats/event-consumer.js';
import { ensureConsumer, ensureStreams, streamNamesFor, type StreamNames } from '../../src/adapters/nats/streams.js';
import { subjectsFor } from '../../src/adapters/nats/subjects.js';

/** UTF-8 JSON bytes, as any client would publish them. */
export function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A unique subject prefix (`vt<hex>`) and its stream names; remembered for `deleteStreams`. */
export class TestStreams {
  private readonly names = new Set<string>();

  fresh(): { prefix: string; streams: StreamNames } {
    const prefix = `vt${randomBytes(5).toString('hex')}`;
    const streams = streamNamesFor({ prefix });
    this.track(streams.events, streams.decisions, streams.dlq);
    return { prefix, streams };
  }

  track(...names: string[]): void {
    for (const n of names) this.names.add(n);
  }

  async deleteAll(jsm: JetStreamManager): Promise<void> {
    for (const name of this.names) await jsm.streams.delete(name).catch(() => false);
    this.names.clear();
  }
}

/**
 * A fresh prefix with its streams and a durable pull consumer `engine` on the
 * EVENTS stream; `publish(n, from)` stores transactions t<from>…t<from+n-1>
 * (msgID = txId) over three accounts; `consumer()` makes an EventConsumer
 * whose errors land in `errors`.
 */
export async function freshEventsSetup(js: JetStreamClient, jsm: JetStreamManager, streams: TestStreams, opts: { ackWaitMs?: number } = {}) {
  const { prefix, streams: names } = streams.fresh();
  await ensureStreams(jsm, { prefix });
  await ensureConsumer(jsm, names.events, 'engine', { ackWaitMs: opts.ackWaitMs ?? 1000, maxAckPending: 512 });
  const s = subjectsFor(prefix);
  const publish = (n: number, from = 0) =>
    Promise.all(Array.from({ length: n }, (_, i) => js.publish(s.tx(`acc${(from + i) % 3}`), json({ txId: `t${from + i}` }), { msgID: `t${from + i}` })));
  const errors: Error[] = [];
  const consumer = (extra: { paused?: () => boolean } = {}) =>
    new EventConsumer(js, { stream: names.events, durable: 'engine', onError: (e) => errors.push(e), ...extra });
  return { prefix, names, s, publish, consumer, errors };
}

/** Polls `cond` every 20 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A batch handler that records every delivery; `decide` chooses the result (default: ack all). */
export function collector(decide?: (batch: InboundEvent[], call: number) => BatchResult) {
  const seen: InboundEvent[] = [];
  const batches: InboundEvent[][] = [];
  const handler = (batch: InboundEvent[]): Promise<BatchResult> => {
    seen.push(...batch);
    batches.push(batch);
    return Promise.resolve(decide ? decide(batch, batches.length) : { ack: batch.map((e) => e.seq) });
  };
  return { seen, batches, handler };
}

const NATS_SERVER = '/usr/sbin/nats-server';

export function natsServerBinaryAvailable(): boolean {
  return existsSync(NATS_SERVER);
}

/** A nats-server with JetStream of our own (port and store dir), for restart tests. */
export class PrivateNatsServer {
  private proc?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'veto-nats-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and store; resolves when the port answers. */
  async restart(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: 'ignore' });
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
    const end = Date.now() + 10_000;
    while (!(await portOpen(this.port))) {
      if (Date.now() > end) throw new Error(`nats-server did not start on ${this.port}`);
      await sleep(50);
    }
  }

  /** Stops the process we started (by its pid) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
    this.proc = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
