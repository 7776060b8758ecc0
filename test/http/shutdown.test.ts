/**
 * Graceful shutdown through real sockets: requests in flight are answered,
 * shutdown waits for them, and new connections are refused. Plus the real
 * `veto serve` process: SIGTERM → in-flight work finished, 'stopped', exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryDecisionStore } from '../../src/adapters/decision-store.js';
import type { Runtime } from '../../src/app/runtime.js';
import { auth, listen, postJson, startRuntime, TEST_API_KEYS, TestScorer, tx, type DecisionBody } from './helpers.js';

const SLOW_MS = 300;
const IN_FLIGHT = 10;

/** Resolves with the connection error code (e.g. ECONNREFUSED), or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const portOf = (url: string) => Number(new URL(url).port);

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** POST without connection reuse (`Connection: close`), through node:http. */
function postOnce(baseUrl: string, body: unknown): Promise<{ status: number; body: DecisionBody }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/authorize`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...auth() } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as DecisionBody }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('graceful shutdown with requests in flight (fetch, keep-alive connections)', () => {
  const scorer = new TestScorer();
  const store = new InMemoryDecisionStore();
  let runtime: Runtime;
  let baseUrl: string;
  let shutdown: Promise<void> | undefined;
  let shutdownDone = false;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000' }, { scorer, store });
    baseUrl = await listen(runtime);
    scorer.delayMs = SLOW_MS;
  });

  afterAll(async () => {
    // Release connections a lingering shutdown may still be waiting on.
    runtime?.app.server.closeAllConnections();
    await runtime?.shutdown();
  });

  it('every in-flight request completes with 200 and new connections are refused', async () => {
    const bodies = Array.from({ length: IN_FLIGHT }, () => tx());
    const inFlight = bodies.map((b) => postJson(baseUrl, b));
    await waitFor(() => runtime.engine.inFlightCount === IN_FLIGHT);

    shutdown = runtime.shutdown();
    void shutdown.then(() => (shutdownDone = true));
    expect(runtime.shutdown()).toBe(shutdown); // idempotent
    // The listener is closed at once: a new connection is refused while the old ones drain.
    expect(await tryConnect(portOf(baseUrl))).toBe('ECONNREFUSED');
    expect(shutdownDone).toBe(false);

    const responses = await Promise.all(inFlight);
    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      const d = (await res.json()) as DecisionBody;
      expect(d.txId).toBe(bodies[i]?.txId);
      expect(d.score).toBeCloseTo(0.01, 6); // really scored, not cut short as degraded
      expect(d.replayed).toBe(false);
    }
    for (const b of bodies) expect(await store.get(b.txId)).toBeDefined();
    expect(await tryConnect(portOf(baseUrl))).toBe('ECONNREFUSED');
  });

  // In-flight requests are answered with `Connection: close` once shutdown has
  // begun, so keep-alive sockets do not hold app.close() until the keep-alive
  // timeout (72 s) — past a typical 30 s termination grace period.
  it('shutdown resolves promptly once the in-flight requests are answered', async () => {
    expect(shutdown).toBeDefined();
    const outcome = await Promise.race([
      (shutdown as Promise<void>).then(() => 'stopped'),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 3 s'), 3000)),
    ]);
    expect(outcome).toBe('stopped');
  });
});

describe('graceful shutdown with requests in flight (one connection per request)', () => {
  const scorer = new TestScorer();
  const store = new InMemoryDecisionStore();
  let runtime: Runtime;
  let baseUrl: string;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '5000' }, { scorer, store });
    baseUrl = await listen(runtime);
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('in-flight requests complete with 200, shutdown resolves after them, then connections are refused', async () => {
    // Warm the route on this instance first, then make the model slow.
    expect((await postOnce(baseUrl, tx())).status).toBe(200);
    scorer.delayMs = SLOW_MS;

    const bodies = Array.from({ length: IN_FLIGHT }, () => tx());
    const answeredAt: number[] = [];
    const inFlight = bodies.map((b) =>
      postOnce(baseUrl, b).then((res) => {
        answeredAt.push(performance.now());
        return res;
      }),
    );
    await waitFor(() => runtime.engine.inFlightCount === IN_FLIGHT);

    const t0 = performance.now();
    let recordedAtStop = -1;
    let inFlightAtStop = -1;
    const stopped = runtime.shutdown().then(async () => {
      recordedAtStop = (await Promise.all(bodies.map((b) => store.get(b.txId)))).filter((r) => r !== undefined).length;
      inFlightAtStop = runtime.engine.inFlightCount;
      return performance.now();
    });

    const responses = await Promise.all(inFlight);
    const stoppedAt = await Promise.race([stopped, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('shutdown did not resolve within 5 s')), 5000))]);

    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      expect(res.body.txId).toBe(bodies[i]?.txId);
      expect(res.body.score).toBeCloseTo(0.01, 6);
    }
    // Shutdown waited for the slow model: nothing was cut short.
    expect(stoppedAt - t0).toBeGreaterThanOrEqual(SLOW_MS / 2);
    expect(recordedAtStop).toBe(IN_FLIGHT);
    expect(inFlightAtStop).toBe(0);
    expect(answeredAt).toHaveLength(IN_FLIGHT);
    expect(await tryConnect(portOf(baseUrl))).toBe('ECONNREFUSED');
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
  });
});

describe('veto serve (real process)', () => {
  it('starts, decides, and on SIGTERM logs "stopped" and exits 0', async () => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: process.cwd(),
      env: { ...process.env, VETO_PORT: '0', VETO_HOST: '127.0.0.1', VETO_LOG_LEVEL: 'info', VETO_API_KEYS: TEST_API_KEYS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: { msg?: string; address?: string; level?: number }[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no 'veto listening' line within 20 s; stderr: ${stderr}`)), 20_000);
        createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
          let entry: { msg?: string; address?: string };
          try {
            entry = JSON.parse(line) as { msg?: string; address?: string };
          } catch {
            return; // not a log line
          }
          logs.push(entry);
          const m = /^veto listening on (http:\/\/[^\s]+)/.exec(entry.msg ?? '');
          if (m?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exited.then(({ code }) => reject(new Error(`veto serve exited early with ${code}; stderr: ${stderr}`)));
      });
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(portOf(address)).toBeGreaterThan(0);

      const body = tx();
      const res = await postJson(address, body);
      expect(res.status).toBe(200);
      const d = (await res.json()) as DecisionBody;
      expect(d).toMatchObject({ txId: body.txId, modelVersion: 'mlp-v1', replayed: false });
      expect(['allow', 'review', 'block']).toContain(d.decision);

      child.kill('SIGTERM');
      const { code } = await Promise.race([
        exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('veto serve did not exit within 10 s of SIGTERM')), 10_000)),
      ]);
      expect(code, stderr).toBe(0);
      const messages = logs.map((l) => l.msg);
      expect(messages).toContain('stopped');
      expect(messages.some((m) => m?.startsWith('shutting down'))).toBe(true);
      expect(messages.indexOf('stopped')).toBeGreaterThan(messages.findIndex((m) => m?.startsWith('shutting down')));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses to start on an invalid configuration: exit 2 and every problem on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: process.cwd(),
      env: { ...process.env, VETO_PORT: 'abc', VETO_FALLBACK: 'maybe' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('VETO_PORT');
    expect(stderr).toContain('/scoring/fallback');
  }, 30_000);
});
