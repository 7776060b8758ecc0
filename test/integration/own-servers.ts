/**
 * Real NATS and Redis servers owned by one test: started as child processes
 * on free ports with their data in a directory of the test's, and restartable
 * (same port, same directory, so the data survives: JetStream file store,
 * Redis AOF). For tests that must restart a server without touching the
 * shared services other test files are using.
 *
 *   const dir = makeTempDir('veto-restart-');
 *   const nats = await startNats({ port: await freePort(), storeDir: join(dir, 'nats') });
 *   await nats.restart(); // stop (SIGTERM, wait for exit), then start again
 *   await nats.stop();
 *   removeDir(dir);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const NATS_SERVER_PATH = '/usr/sbin/nats-server';

/** The nats-server binary, when installed. */
export function natsServerBinary(): string | undefined {
  return existsSync(NATS_SERVER_PATH) ? NATS_SERVER_PATH : undefined;
}

/** The redis-server binary on PATH (or in /usr/bin, /usr/sbin, /usr/local/bin), when installed. */
export function redisServerBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free a moment ago (bound to port 0 on 127.0.0.1, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface OwnServer {
  readonly port: number;
  readonly url: string;
  /** Whether our process is running. */
  running(): boolean;
  /** Output of every run so far (last 64 KB), for failure messages. */
  output(): string;
  /** SIGTERM, then waits for the process to exit (SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Starts the server again (stopping it first if it runs) on the same port and directory; resolves once it answers. */
  restart(): Promise<void>;
}

interface ServerSpec {
  readonly name: string;
  readonly url: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly dir: string;
  /** Resolves true once the server serves. */
  readonly probe: () => Promise<boolean>;
  readonly startTimeoutMs: number;
}

const OUTPUT_LIMIT = 64 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startServer(spec: ServerSpec, port: number): Promise<OwnServer> {
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const append = (chunk: Buffer | string) => {
    out += chunk.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };

  const stop = async (): Promise<void> => {
    const p = proc;
    if (p === undefined) return;
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      const killer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (proc === p) proc = undefined;
  };

  const start = async (): Promise<void> => {
    mkdirSync(spec.dir, { recursive: true });
    append(`--- starting ${spec.name}: ${spec.command} ${spec.args.join(' ')}\n`);
    const p = spawn(spec.command, [...spec.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout?.on('data', append);
    p.stderr?.on('data', append);
    let exitInfo: string | undefined;
    exited = new Promise<void>((resolve) => {
      p.once('exit', (code, signal) => {
        exitInfo = `exit code ${code}, signal ${signal}`;
        append(`--- ${spec.name} exited (${exitInfo})\n`);
        resolve();
      });
      p.once('error', (error) => {
        exitInfo = `spawn error: ${error.message}`;
        append(`--- ${spec.name}: ${exitInfo}\n`);
        resolve();
      });
    });
    const until = Date.now() + spec.startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) throw new Error(`${spec.name} on port ${port} stopped before serving (${exitInfo}):\n${out}`);
      if (await spec.probe()) return;
      if (Date.now() > until) {
        await stop();
        throw new Error(`${spec.name} did not serve on port ${port} within ${spec.startTimeoutMs} ms:\n${out}`);
      }
      await sleep(50);
    }
  };

  await start();
  return {
    port,
    url: spec.url,
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    output: () => out,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** Sends `request` (if any) on a fresh TCP connection and resolves true once the first reply chunk satisfies `ok` (false on error/timeout). */
function tcpProbe(port: number, request: string | undefined, ok: (reply: string) => boolean, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let settled = false;
    const finish = (up: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      if (request === undefined) finish(true);
      else socket.write(request);
    });
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (ok(reply)) finish(true);
      else if (reply.includes('\r\n')) finish(false);
    });
  });
}

/** nats-server with JetStream (file store in `storeDir`) on 127.0.0.1:`port`; resolves once the port accepts connections. */
export function startNats(options: { port: number; storeDir: string; binary?: string }): Promise<OwnServer> {
  const { port, storeDir } = options;
  return startServer(
    {
      name: 'nats-server',
      url: `nats://127.0.0.1:${port}`,
      command: options.binary ?? NATS_SERVER_PATH,
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
      dir: storeDir,
      // The server greets every client with INFO once it accepts connections.
      probe: () => tcpProbe(port, undefined, () => true),
      startTimeoutMs: 15_000,
    },
    port,
  );
}

/**
 * redis-server in the foreground (our child process) on 127.0.0.1:`port`,
 * data in `dir`: AOF fsynced on every write, no RDB snapshots. Resolves once
 * it answers PING (not while it is loading the AOF).
 */
export function startRedis(options: { port: number; dir: string; binary?: string }): Promise<OwnServer> {
  const { port, dir } = options;
  return startServer(
    {
      name: 'redis-server',
      url: `redis://127.0.0.1:${port}`,
      command: options.binary ?? redisServerBinary() ?? 'redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'],
      dir,
      probe: () => tcpProbe(port, 'PING\r\n', (reply) => reply.startsWith('+PONG')),
      startTimeoutMs: 15_000,
    },
    port,
  );
}
