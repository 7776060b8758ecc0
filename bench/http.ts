/**
 * HTTP benchmark: the engine's `POST /v1/authorize` against a no-op Fastify
 * route with the same schemas and options (the ceiling of Node HTTP on this
 * machine), measured in the same run with autocannon on realistic simulated
 * traffic (bench/traffic.ts). Each server runs in its own child process
 * (bench/servers/); the load generator runs here. Figures only, no assertions.
 *
 * Phases, per server: 2 s warm-up, then 10 s at full speed (max throughput).
 * Engine only, afterwards: 10 s at 50 % of its max with autocannon's
 * `overallRate`; 10 s at the same rate evenly paced by our own open-loop
 * client (autocannon's rate limit sends each connection's quota for the second
 * back to back, i.e. bursts at full speed, so the paced run is the one the
 * latency target is judged on); then 2,000 sequential requests on one
 * keep-alive connection, timed with performance.now().
 *
 * Stage shares, GC pauses and event-loop delay come from the engine's
 * Prometheus metrics (GET /metrics) differenced around each phase. CPU used by
 * the server, the client and every other process (from /proc) is reported per
 * phase, so that a busy machine shows in the output.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { TrafficPool, type TrafficCursor } from './traffic.js';

// ---------------------------------------------------------------------------
// autocannon (CommonJS, no type declarations): the subset used here.

interface Histogram {
  readonly average: number;
  readonly p50: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
  readonly total?: number;
}

interface AutocannonResult {
  readonly requests: Histogram & { readonly total: number; readonly sent: number };
  readonly latency: Histogram;
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly duration: number;
  readonly overallRate?: number;
  readonly ignoreCoordinatedOmission?: boolean;
  readonly timeout?: number;
  readonly requests: readonly {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly setupRequest: (request: AutocannonRequest) => AutocannonRequest;
  }[];
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  stop(): void;
}

const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => AutocannonInstance;

// ---------------------------------------------------------------------------
// Settings.

const CONNECTIONS = 64;
const WARMUP_S = 2;
const MEASURE_S = 10;
const HALF_LOAD_S = 10;
const IDLE_REQUESTS = 2_000;
const IDLE_WARMUP_REQUESTS = 100;
const ACCOUNTS = 20_000;
const TERMINALS = 10_000;
const SEED = 42;
const PATH = '/v1/authorize';
/** The engine checks API keys: the bench calls it with an authorizer key of its own (VETO_API_KEYS of the children). */
const API_KEY = randomBytes(24).toString('base64url');
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------
// Small helpers.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Percentile (nearest rank) of an ascending array. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Event-loop delay sampled by monitorEventLoopDelay every LOOP_SAMPLING_MS (as
 * prom-client does by default) records whole intervals: the delay is the excess.
 */
const LOOP_SAMPLING_MS = 10;
const beyondSampling = (intervalMs: number) => Math.max(0, intervalMs - LOOP_SAMPLING_MS);

function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

const USER_HZ = 100; // clock ticks per second in /proc (100 on Linux)

/** CPU seconds (user + system) of a process, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores, including steal), from /proc/stat; undefined elsewhere. */
function machineBusySeconds(): number | undefined {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Average CPU cores used during a phase by the server, by this client process, and by everything else on the machine. */
export interface CpuUse {
  readonly server: number | undefined;
  readonly client: number;
  readonly others: number | undefined;
}

function cpuProbe(pid: number | undefined): () => CpuUse {
  const t0 = performance.now();
  const server0 = processCpuSeconds(pid);
  const client0 = process.cpuUsage();
  const machine0 = machineBusySeconds();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const server1 = processCpuSeconds(pid);
    const c = process.cpuUsage(client0);
    const machine1 = machineBusySeconds();
    const server = server0 !== undefined && server1 !== undefined ? (server1 - server0) / wallS : undefined;
    const client = (c.user + c.system) / 1e6 / wallS;
    const others =
      server !== undefined && machine0 !== undefined && machine1 !== undefined ? Math.max(0, (machine1 - machine0) / wallS - server - client) : undefined;
    return { server, client, others };
  };
}

// ---------------------------------------------------------------------------
// Child servers.

interface Server {
  readonly name: string;
  readonly port: number;
  readonly info: string;
  readonly child: ChildProcess;
}

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.once('exit', killAll);

async function startServer(name: string, script: string): Promise<Server> {
  const child = fork(join(ROOT, 'bench', 'servers', script), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, VETO_API_KEYS: `${API_KEY}:authorizer:bench` },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  return new Promise<Server>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 60 s`)), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} server exited before listening (code ${code}, signal ${signal})`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('message', (message: { type?: string; port?: number; info?: string }) => {
      if (message.type !== 'ready' || typeof message.port !== 'number') return;
      clearTimeout(timer);
      resolve({ name, port: message.port, info: message.info ?? '', child });
    });
  });
}

async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('shutdown');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive client on a raw socket: one request at a time,
// sub-millisecond timing without the overhead of node:http or fetch.

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

class RawConnection {
  private chunks: Buffer[] = [];
  private received = 0;
  private pending: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket, `127.0.0.1:${port}`));
      });
      socket.once('error', reject);
    });
  }

  request(method: 'GET' | 'POST', path: string, body?: string): Promise<RawResponse> {
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise<RawResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\nConnection: keep-alive\r\n`;
      this.socket.write(
        body === undefined
          ? `${head}\r\n`
          : `${head}Content-Type: application/json\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  close(): void {
    this.pending = undefined;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    const data = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
    const headEnd = data.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = data.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return this.fail(new Error('response without content-length'));
    const end = headEnd + 4 + Number(length[1]);
    if (this.received < end) {
      this.chunks = [data];
      return;
    }
    this.chunks = end < this.received ? [data.subarray(end)] : [];
    this.received -= end;
    const status = Number(head.slice(9, 12));
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve({ status, body: data.toString('utf8', headEnd + 4, end) });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

// ---------------------------------------------------------------------------
// Load phases.

interface LoadResult {
  /** Mean req/s over the run (autocannon's per-second samples). */
  readonly reqPerSec: number;
  /** Highest per-second sample. */
  readonly peakReqPerSec: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
  readonly latencyMs: { p50: number; p99: number; p99_9: number; max: number };
  readonly cpu: CpuUse;
  /** Sub-millisecond response times seen by autocannon ('response' events), when recorded. */
  readonly fineLatencyMs?: { p50: number; p99: number; p99_9: number };
}

async function cannon(server: Server, feed: TrafficCursor, durationS: number, overallRate?: number, recordFine = false): Promise<LoadResult> {
  const probe = cpuProbe(server.child.pid);
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
    ...(overallRate !== undefined ? { overallRate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: PATH,
        headers: HEADERS,
        setupRequest: (request) => {
          request.body = feed.next();
          return request;
        },
      },
    ],
  });
  const fine: number[] = [];
  if (recordFine) instance.on('response', (_client, _status, _bytes, responseTime) => fine.push(responseTime));
  const r = await instance;
  const cpu = probe();
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = Number(count);
  const sorted = sortedCopy(fine);
  return {
    reqPerSec: r.requests.average,
    peakReqPerSec: r.requests.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, p99_9: r.latency.p99_9, max: r.latency.max },
    cpu,
    ...(recordFine ? { fineLatencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p99_9: percentile(sorted, 99.9) } } : {}),
  };
}

interface PacedResult {
  readonly targetRate: number;
  readonly achievedRate: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latencyMs: { p50: number; p99: number; p99_9: number; max: number };
  readonly cpu: CpuUse;
  /** Event-loop delay of this client during the run (a stalled client inflates the latencies). */
  readonly clientLoopDelayMs: { p99: number; max: number };
}

/**
 * Open-loop load at a constant rate: request i is due at t0 + i / rate, sent on
 * any idle keep-alive connection (1 ms timer ticks). Latency runs from the
 * send, or from the due time when the request had to wait for a connection
 * (so server stalls are not hidden: no coordinated omission).
 */
async function paced(server: Server, feed: TrafficCursor, rate: number, durationS: number, connections: number): Promise<PacedResult> {
  const idle: RawConnection[] = [];
  for (let i = 0; i < connections; i++) idle.push(await RawConnection.open(server.port));
  const all = [...idle];
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  const backlog: number[] = []; // due times of requests waiting for a connection
  const probe = cpuProbe(server.child.pid);
  const loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLING_MS });
  loop.enable();
  const t0 = performance.now();
  const end = t0 + durationS * 1000;
  const total = Math.floor(rate * durationS);
  let scheduled = 0;

  const send = (conn: RawConnection, due: number | undefined) => {
    inFlight++;
    const start = performance.now();
    const from = due ?? start;
    conn.request('POST', PATH, feed.next()).then(
      (response) => {
        latencies.push(performance.now() - from);
        if (response.status < 200 || response.status >= 300) non2xx++;
        inFlight--;
        const waiting = backlog.shift();
        if (waiting !== undefined) send(conn, waiting);
        else idle.push(conn);
      },
      () => {
        errors++;
        inFlight--;
      },
    );
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (scheduled < total && t0 + (scheduled * 1000) / rate <= now) {
        const due = t0 + (scheduled * 1000) / rate;
        scheduled++;
        const conn = idle.pop();
        if (conn) send(conn, undefined);
        else backlog.push(due);
      }
      if (scheduled >= total || now > end + 5_000) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const deadline = performance.now() + 10_000;
  while ((inFlight > 0 || backlog.length > 0) && performance.now() < deadline) await sleep(5);
  const cpu = probe();
  loop.disable();
  for (const conn of all) conn.close();
  const sorted = sortedCopy(latencies);
  return {
    targetRate: rate,
    achievedRate: latencies.length / durationS,
    requests: latencies.length,
    non2xx,
    errors: errors + backlog.length + inFlight,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p99_9: percentile(sorted, 99.9), max: sorted[sorted.length - 1] ?? Number.NaN },
    cpu,
    clientLoopDelayMs: { p99: beyondSampling(loop.percentile(99) / 1e6), max: beyondSampling(loop.max / 1e6) },
  };
}

interface IdleResult {
  readonly requests: number;
  readonly non2xx: number;
  readonly clientMs: { p50: number; p99: number };
  readonly engineMs: { p50: number; p99: number };
  readonly cpu: CpuUse;
}

/** Sequential requests, one at a time on one keep-alive connection, timed on the client. */
async function sequential(server: Server, feed: TrafficCursor, warmup: number, n: number): Promise<IdleResult> {
  const conn = await RawConnection.open(server.port);
  try {
    for (let i = 0; i < warmup; i++) await conn.request('POST', PATH, feed.next());
    const client: number[] = [];
    const engine: number[] = [];
    let non2xx = 0;
    const probe = cpuProbe(server.child.pid);
    for (let i = 0; i < n; i++) {
      const body = feed.next();
      const t0 = performance.now();
      const response = await conn.request('POST', PATH, body);
      client.push(performance.now() - t0);
      if (response.status !== 200) non2xx++;
      else engine.push((JSON.parse(response.body) as { latencyMs: number }).latencyMs);
    }
    const cpu = probe();
    const c = sortedCopy(client);
    const e = sortedCopy(engine);
    return { requests: n, non2xx, clientMs: { p50: percentile(c, 50), p99: percentile(c, 99) }, engineMs: { p50: percentile(e, 50), p99: percentile(e, 99) }, cpu };
  } finally {
    conn.close();
  }
}

// ---------------------------------------------------------------------------
// Engine metrics (Prometheus text), differenced around a phase.

interface Scrape {
  readonly at: number;
  readonly samples: Map<string, number>;
}

async function scrape(server: Server): Promise<Scrape> {
  const conn = await RawConnection.open(server.port);
  try {
    const response = await conn.request('GET', '/metrics');
    if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
    const samples = new Map<string, number>();
    for (const line of response.body.split('\n')) {
      if (line.startsWith('#') || line.length === 0) continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m) samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    }
    return { at: performance.now(), samples };
  } finally {
    conn.close();
  }
}

const STAGES = ['features', 'scoring', 'policy', 'total'] as const;
type StageName = (typeof STAGES)[number];
/** `other`: what `total` holds beyond the three stages (0 when the engine's total is their sum). */
type StageShare = StageName | 'other';

export interface StageBreakdown {
  readonly decisions: number;
  /** Mean milliseconds per decision in each stage. */
  readonly meanMs: Record<StageShare, number>;
  /** Share of the total engine time. */
  readonly share: Record<StageShare, number>;
  readonly meanBatch: number;
  readonly outcomes: Record<'allow' | 'review' | 'block', number>;
  readonly engineErrors: number;
  /** Engine GC pauses during the phase. */
  readonly gc: { readonly pauseMs: number; readonly shareOfTime: number; readonly pauses: number; readonly pausesOver10ms: number };
  readonly heapUsedMb: number;
  /** Upper bound of the histogram bucket holding the engine-side p99 of `total` (ms). */
  readonly totalP99AtMostMs: number;
  /** Engine event-loop delay during the phase (prom-client, reset at each scrape, sampled every 10 ms). */
  readonly loopLagMs: { readonly p99: number; readonly max: number };
}

function breakdown(before: Scrape, after: Scrape): StageBreakdown {
  const delta = (key: string) => (after.samples.get(key) ?? 0) - (before.samples.get(key) ?? 0);
  const deltaMatching = (prefix: string, contains = '') => {
    let sum = 0;
    for (const key of after.samples.keys()) if (key.startsWith(prefix) && key.includes(contains)) sum += delta(key);
    return sum;
  };
  const sums = {} as Record<StageShare, number>;
  const counts = {} as Record<StageShare, number>;
  for (const s of STAGES) {
    sums[s] = delta(`veto_stage_seconds_sum{stage="${s}"}`);
    counts[s] = delta(`veto_stage_seconds_count{stage="${s}"}`);
  }
  sums.other = sums.total - sums.features - sums.scoring - sums.policy;
  counts.other = counts.total;
  const meanMs = {} as Record<StageShare, number>;
  const share = {} as Record<StageShare, number>;
  for (const s of [...STAGES, 'other'] as const) {
    meanMs[s] = counts[s] > 0 ? (sums[s] / counts[s]) * 1000 : Number.NaN;
    share[s] = sums.total > 0 ? sums[s] / sums.total : Number.NaN;
  }
  const buckets: { le: number; count: number }[] = [];
  for (const key of after.samples.keys()) {
    const m = /^veto_stage_seconds_bucket\{le="([^"]+)",stage="total"\}$/.exec(key);
    if (m) buckets.push({ le: m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), count: delta(key) });
  }
  buckets.sort((x, y) => x.le - y.le);
  const p99Bucket = buckets.find((b) => b.count >= 0.99 * counts.total);
  const batches = delta('veto_scoring_batch_size_count');
  const gcPrefix = 'veto_nodejs_gc_duration_seconds';
  const gcPauseS = deltaMatching(`${gcPrefix}_sum{`);
  return {
    decisions: counts.total,
    meanMs,
    share,
    meanBatch: batches > 0 ? delta('veto_scoring_batch_size_sum') / batches : Number.NaN,
    outcomes: {
      allow: deltaMatching('veto_decisions_total{', 'decision="allow"'),
      review: deltaMatching('veto_decisions_total{', 'decision="review"'),
      block: deltaMatching('veto_decisions_total{', 'decision="block"'),
    },
    engineErrors: deltaMatching('veto_errors_total{'),
    gc: {
      pauseMs: gcPauseS * 1000,
      shareOfTime: gcPauseS / ((after.at - before.at) / 1000),
      pauses: deltaMatching(`${gcPrefix}_count{`),
      pausesOver10ms: deltaMatching(`${gcPrefix}_bucket{`, 'le="+Inf"') - deltaMatching(`${gcPrefix}_bucket{`, 'le="0.01"'),
    },
    heapUsedMb: (after.samples.get('veto_nodejs_heap_size_used_bytes') ?? Number.NaN) / 1048576,
    totalP99AtMostMs: p99Bucket ? p99Bucket.le * 1000 : Number.NaN,
    loopLagMs: {
      p99: beyondSampling((after.samples.get('veto_nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000),
      max: beyondSampling((after.samples.get('veto_nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000),
    },
  };
}

// ---------------------------------------------------------------------------
// The section.

export interface HttpBenchResult {
  readonly traffic: { accounts: number; terminals: number; seed: number; bodiesGenerated: number; generatedDuringMeasurements: number };
  readonly load: { connections: number; pipelining: number; warmupS: number; measureS: number; halfLoadS: number; idleRequests: number };
  readonly engineInfo: string;
  readonly noop: LoadResult;
  readonly engine: LoadResult;
  /** engine / no-op max throughput. */
  readonly ratio: number;
  /** 50% of the engine's max throughput (req/s). */
  readonly halfRate: number;
  readonly halfAutocannon: LoadResult;
  readonly halfPaced: PacedResult;
  readonly stagesAtMax: StageBreakdown;
  readonly stagesAtHalf: StageBreakdown;
  readonly idle: IdleResult;
  /** Most CPU cores used by other processes during a measurement (contention). */
  readonly maxOtherCores: number | undefined;
  /** Non-2xx responses or errors: when not empty, the figures are not valid. */
  readonly failures: readonly string[];
}

/** Runs every phase against both servers; the servers are stopped in any case. */
export async function benchHttp(): Promise<HttpBenchResult> {
  const pool = new TrafficPool({ accounts: ACCOUNTS, terminals: TERMINALS, seed: SEED, runId: `b${Date.now().toString(36)}` });
  pool.ensure(50_000);
  const failures: string[] = [];
  const check = (what: string, r: { non2xx: number; errors: number }) => {
    if (r.non2xx > 0 || r.errors > 0) failures.push(`${what}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  };
  /** Pre-generates the bodies a phase will need, so that generating them does not load the client during it. */
  const prepare = (feed: TrafficCursor, rate: number, seconds: number) => {
    pool.ensure(feed.taken + Math.ceil(rate * seconds * 2) + 2 * CONNECTIONS);
    globalThis.gc?.();
  };
  let generatedDuringMeasurements = 0;
  const measured = async <T>(phase: () => Promise<T>): Promise<T> => {
    const before = pool.lateGenerated;
    const result = await phase();
    generatedDuringMeasurements += pool.lateGenerated - before;
    return result;
  };

  const servers: Server[] = [];
  try {
    // No-op route: the ceiling.
    const noopServer = await startServer('no-op', 'noop-server.ts');
    servers.push(noopServer);
    const noopFeed = pool.cursor();
    const noopWarm = await cannon(noopServer, noopFeed, WARMUP_S);
    check('no-op warm-up', noopWarm);
    prepare(noopFeed, noopWarm.peakReqPerSec, MEASURE_S);
    const noop = await measured(() => cannon(noopServer, noopFeed, MEASURE_S));
    check('no-op max throughput', noop);
    await stopServer(noopServer);

    // Engine: the same bodies, in the same order.
    const engineServer = await startServer('engine', 'engine-server.ts');
    servers.push(engineServer);
    const feed = pool.cursor();
    const engineWarm = await cannon(engineServer, feed, WARMUP_S);
    check('engine warm-up', engineWarm);
    prepare(feed, engineWarm.peakReqPerSec, MEASURE_S);
    await sleep(300);
    const m0 = await scrape(engineServer);
    const engine = await measured(() => cannon(engineServer, feed, MEASURE_S));
    await sleep(300); // requests abandoned at the end of the run finish
    const m1 = await scrape(engineServer);
    check('engine max throughput', engine);

    const halfRate = Math.max(1, Math.round(engine.reqPerSec / 2));
    prepare(feed, halfRate, 2 * HALF_LOAD_S);
    await sleep(300);
    const halfAutocannon = await measured(() => cannon(engineServer, feed, HALF_LOAD_S, halfRate, true));
    check('engine at 50% (autocannon overallRate)', halfAutocannon);
    globalThis.gc?.();
    await sleep(300);
    const m2 = await scrape(engineServer);
    const halfPaced = await measured(() => paced(engineServer, feed, halfRate, HALF_LOAD_S, CONNECTIONS));
    const m3 = await scrape(engineServer);
    check('engine at 50% (paced)', halfPaced);

    pool.ensure(feed.taken + IDLE_WARMUP_REQUESTS + IDLE_REQUESTS);
    globalThis.gc?.();
    await sleep(1_000);
    const idle = await measured(() => sequential(engineServer, feed, IDLE_WARMUP_REQUESTS, IDLE_REQUESTS));
    check('engine idle single requests', { non2xx: idle.non2xx, errors: 0 });
    const stagesAtMax = breakdown(m0, m1);
    const stagesAtHalf = breakdown(m2, m3);
    if (stagesAtMax.engineErrors > 0) failures.push(`engine max throughput: the engine counted ${stagesAtMax.engineErrors} errors (veto_errors_total)`);
    if (stagesAtHalf.engineErrors > 0) failures.push(`engine at 50% (paced): the engine counted ${stagesAtHalf.engineErrors} errors (veto_errors_total)`);
    await stopServer(engineServer);

    const others = [noop, engine, halfAutocannon, halfPaced, idle].map((r) => r.cpu.others).filter((o): o is number => o !== undefined);
    return {
      traffic: { accounts: ACCOUNTS, terminals: TERMINALS, seed: SEED, bodiesGenerated: pool.size, generatedDuringMeasurements },
      load: { connections: CONNECTIONS, pipelining: 1, warmupS: WARMUP_S, measureS: MEASURE_S, halfLoadS: HALF_LOAD_S, idleRequests: IDLE_REQUESTS },
      engineInfo: engineServer.info,
      noop,
      engine,
      ratio: engine.reqPerSec / noop.reqPerSec,
      halfRate,
      halfAutocannon,
      halfPaced,
      stagesAtMax,
      stagesAtHalf,
      idle,
      maxOtherCores: others.length > 0 ? Math.max(...others) : undefined,
      failures,
    };
  } finally {
    for (const server of servers) await stopServer(server).catch(() => undefined);
    killAll();
  }
}

// ---------------------------------------------------------------------------
// Report.

export const TARGETS = { throughputRatio: 0.5, p99AtHalfLoadMs: 5, idleP50Ms: 1 } as const;
/** Other processes using more than this many cores during a measurement make the figures pessimistic. */
const CONTENTION_CORES = 0.25;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isNaN(n) ? '?' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const opt = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(2));
const cpu = (c: CpuUse) => `CPU cores: server ${opt(c.server)}, client ${opt(c.client)}, other processes ${opt(c.others)}`;
const health = (r: { non2xx: number; errors: number }) => `non-2xx ${int(r.non2xx)}, errors ${int(r.errors)}`;
const LABEL = 40;
const line = (label: string, value: string) => console.log(`${label.padEnd(LABEL)}${value}`);
const detail = (value: string) => console.log(`${' '.repeat(LABEL + 2)}${value}`);

function printStages(label: string, s: StageBreakdown): void {
  // `other` (total beyond the three stages) is shown only when the engine's total includes more than them.
  const shown = (['features', 'scoring', 'policy', 'other'] as const).filter((st) => st !== 'other' || s.share.other >= 0.0005);
  const parts = shown.map((st) => `${st} ${pct(s.share[st])}`);
  line(label, `${parts.join(' · ')} of total ${ms(s.meanMs.total)} ms/decision`);
  detail(`engine-side total p99 ≤ ${ms(s.totalP99AtMostMs)} ms (histogram bucket)`);
  detail(
    `mean ms: ${shown.map((st) => `${st} ${ms(s.meanMs[st])}`).join(' · ')}; ${int(s.decisions)} decisions, mean scoring batch ${s.meanBatch.toFixed(1)}`,
  );
  detail(`engine GC pauses ${int(s.gc.pauseMs)} ms (${pct(s.gc.shareOfTime)} of the time; ${int(s.gc.pauses)} pauses, ${int(s.gc.pausesOver10ms)} ≥ 10 ms); heap used ${int(s.heapUsedMb)} MiB after`);
  detail(`engine event-loop delay: p99 ${ms(s.loopLagMs.p99)} / max ${ms(s.loopLagMs.max)} ms`);
}

export interface TargetCheck {
  readonly name: string;
  readonly value: string;
  readonly met: boolean;
  /** False when other processes used noticeable CPU during a phase the figure comes from. */
  readonly reliable: boolean;
  readonly contention?: string;
}

/** Phases (name and CPU use) where other processes used more than CONTENTION_CORES. */
function contended(phases: readonly (readonly [string, CpuUse])[]): string | undefined {
  const busy = phases.filter(([, c]) => c.others !== undefined && c.others > CONTENTION_CORES);
  return busy.length === 0 ? undefined : busy.map(([name, c]) => `${opt(c.others)} cores during the ${name}`).join(', ');
}

export function targetChecks(h: HttpBenchResult): TargetCheck[] {
  const check = (name: string, value: string, met: boolean, phases: readonly (readonly [string, CpuUse])[]): TargetCheck => {
    const contention = contended(phases);
    return { name, value, met, reliable: contention === undefined, ...(contention !== undefined ? { contention } : {}) };
  };
  return [
    check(`engine throughput ≥ ${TARGETS.throughputRatio}× no-op`, `${h.ratio.toFixed(2)}×`, h.ratio >= TARGETS.throughputRatio, [
      ['no-op run', h.noop.cpu],
      ['engine run', h.engine.cpu],
    ]),
    check(`p99 at 50% load ≤ ${TARGETS.p99AtHalfLoadMs} ms (paced)`, `${ms(h.halfPaced.latencyMs.p99)} ms`, h.halfPaced.latencyMs.p99 <= TARGETS.p99AtHalfLoadMs, [
      ['paced run', h.halfPaced.cpu],
    ]),
    check(`idle single-request p50 ≤ ${TARGETS.idleP50Ms} ms`, `${ms(h.idle.clientMs.p50)} ms`, h.idle.clientMs.p50 <= TARGETS.idleP50Ms, [
      ['sequential requests', h.idle.cpu],
    ]),
  ];
}

export function printHttp(h: HttpBenchResult): void {
  console.log(`\n## HTTP POST ${PATH}: engine vs no-op Fastify route (same schemas, ajv options and body limit)`);
  line('traffic', `book simulator, ${int(h.traffic.accounts)} accounts, ${int(h.traffic.terminals)} terminals (seed ${h.traffic.seed})`);
  detail('unique txIds, increasing ISO 8601 timestamps; both servers get the same bodies in the same order');
  line('load', `autocannon, ${h.load.connections} connections, pipelining ${h.load.pipelining}; ${h.load.warmupS} s warm-up, then ${h.load.measureS} s per measurement`);
  line('engine server', h.engineInfo);

  line('no-op route, max throughput', `${int(h.noop.reqPerSec)} req/s`);
  detail(`${int(h.noop.requests)} requests; ${health(h.noop)}; ${cpu(h.noop.cpu)}`);
  line('engine, max throughput', `${int(h.engine.reqPerSec)} req/s  (${h.ratio.toFixed(2)}× no-op)`);
  detail(`${int(h.engine.requests)} requests; ${health(h.engine)}; ${cpu(h.engine.cpu)}`);
  detail(`latency with ${h.load.connections} requests in flight: p50 ${h.engine.latencyMs.p50} / p99 ${h.engine.latencyMs.p99} / p99.9 ${h.engine.latencyMs.p99_9} ms`);

  const a = h.halfAutocannon;
  const f = a.fineLatencyMs;
  line('engine at 50% load, autocannon', `p50 ${a.latencyMs.p50} / p99 ${a.latencyMs.p99} / p99.9 ${a.latencyMs.p99_9} ms  (overallRate ${int(h.halfRate)} req/s)`);
  detail(`sub-ms from autocannon's response times: p50 ${ms(f?.p50 ?? Number.NaN)} / p99 ${ms(f?.p99 ?? Number.NaN)} / p99.9 ${ms(f?.p99_9 ?? Number.NaN)} ms`);
  detail(`${int(a.reqPerSec)} req/s achieved; ${health(a)}; ${cpu(a.cpu)}`);
  detail("caveat: autocannon's rate limit lets each connection send its quota for the second back to back,");
  detail('so this run is bursts at full speed followed by silence, not an even 50% load');
  const p = h.halfPaced;
  line('engine at 50% load, paced', `p50 ${ms(p.latencyMs.p50)} / p99 ${ms(p.latencyMs.p99)} / p99.9 ${ms(p.latencyMs.p99_9)} ms  (${int(h.halfRate)} req/s)`);
  detail(`evenly spaced open-loop arrivals on ${h.load.connections} keep-alive connections, timed with performance.now()`);
  detail(`${int(p.achievedRate)} req/s achieved; ${health(p)}; ${cpu(p.cpu)}`);
  detail(`client event-loop delay: p99 ${ms(p.clientLoopDelayMs.p99)} / max ${ms(p.clientLoopDelayMs.max)} ms`);

  printStages('engine stages at max throughput', h.stagesAtMax);
  printStages('engine stages at 50% load (paced)', h.stagesAtHalf);
  const o = h.stagesAtMax.outcomes;
  const n = o.allow + o.review + o.block;
  line('decisions at max throughput', `allow ${pct(o.allow / n)} · review ${pct(o.review / n)} · block ${pct(o.block / n)}`);

  line('idle engine, single requests', `p50 ${ms(h.idle.clientMs.p50)} / p99 ${ms(h.idle.clientMs.p99)} ms (client)`);
  detail(`engine latencyMs: p50 ${h.idle.engineMs.p50.toFixed(3)} / p99 ${h.idle.engineMs.p99.toFixed(3)} ms`);
  detail(`${int(h.idle.requests)} sequential requests, one at a time on one keep-alive connection; ${health({ non2xx: h.idle.non2xx, errors: 0 })}; ${cpu(h.idle.cpu)}`);
  if (h.traffic.generatedDuringMeasurements > 0) detail(`note: ${int(h.traffic.generatedDuringMeasurements)} bodies were generated during measurements (the pre-generated pool was short)`);

  if (h.maxOtherCores !== undefined && h.maxOtherCores > CONTENTION_CORES) {
    console.log(`\nWARNING: other processes used up to ${h.maxOtherCores.toFixed(2)} CPU cores during the measurements: the machine was not quiet, the figures are pessimistic`);
  }
  if (h.failures.length > 0) {
    console.log('\n!!!!!!!!!! ERRORS DURING THE HTTP BENCH: THE FIGURES ABOVE ARE NOT VALID !!!!!!!!!!');
    for (const failure of h.failures) console.log(`!!! ${failure}`);
  }

  console.log('\n## Targets');
  for (const t of targetChecks(h)) {
    line(t.name, `${t.value.padEnd(10)}${(t.met ? 'met' : 'NOT MET').padEnd(8)}${t.reliable ? '' : `  (unreliable: other processes used ${t.contention})`}`);
  }
}
