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
import { TrafficPool, type TrafficCursor } from './traffic.js';
import { CONNECTIONS, WARMUP_S, MEASURE_S, HALF_LOAD_S, IDLE_REQUESTS, IDLE_WARMUP_REQUESTS, ACCOUNTS, TERMINALS, SEED, PATH, sleep, killAll, startServer, stopServer, type CpuUse, type Server } from './http-support.js';
import { breakdown, cannon, paced, scrape, sequential, type IdleResult, type LoadResult, type PacedResult, type StageBreakdown } from './http-load.js';


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
