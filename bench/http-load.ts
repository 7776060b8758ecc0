/** HTTP bench load generators (autocannon, paced open loop, sequential) and the engine's metrics scrapes. */
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { TrafficCursor } from './traffic.js';
import { autocannon, CONNECTIONS, PATH, API_KEY, HEADERS, sleep, percentile, LOOP_SAMPLING_MS, beyondSampling, sortedCopy, cpuProbe, type CpuUse, type Server } from './http-support.js';

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive client on a raw socket: one request at a time,
// sub-millisecond timing without the overhead of node:http or fetch.

export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

export class RawConnection {
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

export interface LoadResult {
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

export async function cannon(server: Server, feed: TrafficCursor, durationS: number, overallRate?: number, recordFine = false): Promise<LoadResult> {
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

export interface PacedResult {
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
export async function paced(server: Server, feed: TrafficCursor, rate: number, durationS: number, connections: number): Promise<PacedResult> {
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

export interface IdleResult {
  readonly requests: number;
  readonly non2xx: number;
  readonly clientMs: { p50: number; p99: number };
  readonly engineMs: { p50: number; p99: number };
  readonly cpu: CpuUse;
}

/** Sequential requests, one at a time on one keep-alive connection, timed on the client. */
export async function sequential(server: Server, feed: TrafficCursor, warmup: number, n: number): Promise<IdleResult> {
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

export interface Scrape {
  readonly at: number;
  readonly samples: Map<string, number>;
}

export async function scrape(server: Server): Promise<Scrape> {
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

export const STAGES = ['features', 'scoring', 'policy', 'total'] as const;
export type StageName = (typeof STAGES)[number];
/** `other`: what `total` holds beyond the three stages (0 when the engine's total is their sum). */
export type StageShare = StageName | 'other';

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

export function breakdown(before: Scrape, after: Scrape): StageBreakdown {
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

