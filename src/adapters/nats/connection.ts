/**
 * The NATS connection of veto and its status.
 *
 * - Startup fails fast: when no server answers, `connectNats` rejects with
 *   NatsUnavailableError (`waitOnFirstConnect: false`).
 * - Once connected the client reconnects forever (`maxReconnectAttempts: -1`,
 *   every ~250 ms plus jitter); publishes made while disconnected are buffered
 *   by nats.js and sent after the reconnect, JetStream requests time out.
 * - `isConnected()` follows `nc.status()` events (nats.js v3 names:
 *   'disconnect', 'reconnecting', 'reconnect', 'staleConnection',
 *   'forceReconnect', 'close', plus informational 'update', 'ldm', 'error',
 *   'ping', 'slowConsumer') and is false from a disconnect until the reconnect.
 */
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { NatsUnavailableError } from './errors.js';

/** A status change, simplified from nats.js `Status` for logs and metrics. */
export interface NatsStatusEvent {
  readonly type: Status['type'];
  /** The server, error message or other detail of the event, when there is one. */
  readonly detail?: string;
}

export interface ConnectNatsOptions {
  /** One server or a comma-separated list, e.g. `nats://127.0.0.1:4222`. */
  readonly url: string;
  /** Client name shown by the server's monitoring (default `veto`). */
  readonly name?: string;
  /** Called on every status change except the frequent 'ping'. */
  readonly onStatus?: (event: NatsStatusEvent) => void;
  /** Milliseconds between reconnect attempts (default 250; jitter up to 100 ms is added). */
  readonly reconnectTimeWaitMs?: number;
  /** Handshake timeout of one connection attempt, also the default JetStream API timeout (default 5000). */
  readonly timeoutMs?: number;
}

/** Tracks whether a connection is usable. */
export interface NatsStatusTracker {
  /** False while disconnected or reconnecting, and after close. */
  isConnected(): boolean;
  /** The version of the server currently connected to (`nc.info.version`). */
  serverVersion(): string | undefined;
  /** Number of reconnects since the tracker started. */
  reconnects(): number;
}

export interface NatsHandle extends NatsStatusTracker {
  readonly nc: NatsConnection;
  /** Drains subscriptions and closes the connection (resolves when closed; never rejects). */
  close(): Promise<void>;
}

/** Connects to NATS; rejects with NatsUnavailableError when no server answers. */
/**
 * Splits `nats://user:pass@host:4222,host2:4222` (or `nats://token@host`) into
 * servers without credentials and the credentials, which the client takes as
 * options rather than from the URL.
 */
export function parseNatsUrl(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(s);
      if (!m) return s;
      const [name, secret] = (m[2] as string).split(':');
      user = decodeURIComponent(name ?? '');
      pass = secret === undefined ? undefined : decodeURIComponent(secret);
      return `${m[1]}${m[3]}`;
    });
  if (user !== undefined && pass === undefined) return { servers, token: user };
  return { servers, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}

/** The URL with any credentials masked, for logs and /health. */
export function redactUrl(url: string): string {
  return url.replace(/(\w+:\/\/)[^@/,]*@/g, '$1***@');
}

export async function connectNats(options: ConnectNatsOptions): Promise<NatsHandle> {
  const { servers, ...credentials } = parseNatsUrl(options.url);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...credentials,
      name: options.name ?? 'veto',
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
      reconnectJitter: 100,
      waitOnFirstConnect: false,
      timeout: options.timeoutMs ?? 5000,
      pingInterval: 10_000,
      maxPingOut: 3,
    });
  } catch (err) {
    throw new NatsUnavailableError(redactUrl(options.url), { cause: err });
  }
  const tracker = trackStatus(nc, options.onStatus);
  return {
    nc,
    isConnected: tracker.isConnected,
    serverVersion: tracker.serverVersion,
    reconnects: tracker.reconnects,
    close: async () => {
      if (nc.isClosed()) return;
      // drain can wait for a server that is gone: give it 5 s, then close
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        nc.drain().then(() => true, () => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
      ]);
      clearTimeout(timer);
      if (!drained && !nc.isClosed()) await nc.close().catch(() => undefined);
    },
  };
}

/** Follows `nc.status()` in the background until the connection closes. */
export function trackStatus(nc: NatsConnection, onStatus?: (event: NatsStatusEvent) => void): NatsStatusTracker {
  let connected = !nc.isClosed();
  let reconnects = 0;
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
        case 'reconnecting':
        case 'staleConnection':
        case 'forceReconnect':
        case 'close':
          connected = false;
          break;
        case 'reconnect':
          connected = true;
          reconnects++;
          break;
        default:
          break;
      }
      if (s.type !== 'ping' && onStatus) {
        try {
          onStatus({ type: s.type, detail: statusDetail(s) });
        } catch {
          // a failing listener must not stop the tracking
        }
      }
    }
  })().catch(() => undefined);
  void nc.closed().then(() => {
    connected = false;
  });
  return {
    isConnected: () => connected && !nc.isClosed(),
    serverVersion: () => nc.info?.version,
    reconnects: () => reconnects,
  };
}

function statusDetail(s: Status): string | undefined {
  switch (s.type) {
    case 'disconnect':
    case 'reconnect':
    case 'ldm':
      return s.server;
    case 'error':
      return s.error.message;
    case 'slowConsumer':
      return s.sub.getSubject();
    case 'update':
      return [...(s.added ?? []).map((a) => `+${a}`), ...(s.deleted ?? []).map((d) => `-${d}`)].join(' ') || undefined;
    default:
      return undefined;
  }
}
