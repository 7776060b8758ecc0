/** HTTP bench support: autocannon types, constants, CPU probes and the server child processes. */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------
// autocannon (CommonJS, no type declarations): the subset used here.

export interface Histogram {
  readonly average: number;
  readonly p50: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
  readonly total?: number;
}

export interface AutocannonResult {
  readonly requests: Histogram & { readonly total: number; readonly sent: number };
  readonly latency: Histogram;
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Record<string, { count: number }>;
}

export interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface AutocannonOptions {
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

export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  stop(): void;
}

export const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => AutocannonInstance;

// ---------------------------------------------------------------------------
// Settings.

export const CONNECTIONS = 64;
export const WARMUP_S = 2;
export const MEASURE_S = 10;
export const HALF_LOAD_S = 10;
export const IDLE_REQUESTS = 2_000;
export const IDLE_WARMUP_REQUESTS = 100;
export const ACCOUNTS = 20_000;
export const TERMINALS = 10_000;
export const SEED = 42;
export const PATH = '/v1/authorize';
/** The engine checks API keys: the bench calls it with an authorizer key of its own (VETO_API_KEYS of the children). */
export const API_KEY = randomBytes(24).toString('base64url');
export const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------
// Small helpers.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Percentile (nearest rank) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Event-loop delay sampled by monitorEventLoopDelay every LOOP_SAMPLING_MS (as
 * prom-client does by default) records whole intervals: the delay is the excess.
 */
export const LOOP_SAMPLING_MS = 10;
export const beyondSampling = (intervalMs: number) => Math.max(0, intervalMs - LOOP_SAMPLING_MS);

export function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export const USER_HZ = 100; // clock ticks per second in /proc (100 on Linux)

/** CPU seconds (user + system) of a process, from /proc (Linux); undefined elsewhere. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
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
export function machineBusySeconds(): number | undefined {
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

export function cpuProbe(pid: number | undefined): () => CpuUse {
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

export interface Server {
  readonly name: string;
  readonly port: number;
  readonly info: string;
  readonly child: ChildProcess;
}

export const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.once('exit', killAll);

export async function startServer(name: string, script: string): Promise<Server> {
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

export async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('shutdown');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

