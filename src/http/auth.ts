/**
 * Access control of the HTTP API: API keys with roles, checked in one
 * `onRequest` hook (before the body is parsed and before any handler, so a
 * rejected request changes nothing), and per-key rate limits for the review API.
 *
 * Every route declares who may call it in its config:
 *
 * ```ts
 * app.get('/v1/cases', { config: { roles: ROLES.analystRead, rateLimit: reviewRateLimit(app) }, schema }, handler);
 * ```
 *
 * A route that declares no roles is denied to every key (deny by default);
 * only the operations routes (/health, /ready, /metrics, /docs…) are public.
 * Clients send `Authorization: Bearer <key>`. Keys are compared in constant
 * time (SHA-256 digests, `timingSafeEqual`, every key checked) and never
 * logged or echoed in an error message.
 *
 * NATS request/reply (`veto.authorize`) is not subject to API keys: NATS
 * permissions govern who may publish and request there.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import rateLimit, { type FastifyRateLimitStore, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import { ApiError } from './errors.js';
import { ErrorResponse } from './schemas.js';

export const ROLE_NAMES = ['authorizer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLE_NAMES)[number];

/**
 * Who may call what. Use these in route configs (`config: { roles: ROLES.admin }`):
 * - `authorize`: POST /v1/authorize — authorizer and admin keys;
 * - `analystRead`: the review API (/v1/cases*, GET /v1/accounts/*, GET /v1/decisions/*) — analyst and admin keys;
 * - `admin`: account block/unblock, /v1/admin/* — admin keys only.
 */
export const ROLES = {
  authorize: ['authorizer', 'admin'],
  analystRead: ['analyst', 'admin'],
  admin: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

/** The authenticated caller of a request: handlers record `name` as the actor of what they do. */
export interface Caller {
  readonly name: string;
  readonly role: Role;
}

/** One configured key (`auth.apiKeys[]` or a `VETO_API_KEYS` entry). */
export interface ApiKeyEntry {
  readonly key: string;
  readonly role: string;
  readonly name?: string;
}

export interface AccessControlOptions {
  /** The configured keys (validated: see checkApiKeys). No keys: every protected route answers 401. */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** Requests per minute per API key on routes using `reviewRateLimit` (default 600). */
  readonly reviewRateLimitPerMinute?: number;
}

export interface AccessControlSettings {
  readonly reviewRateLimitPerMinute: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null on public routes and before the access-control hook. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The roles allowed to call the route. A route without roles is denied to every key. */
    roles?: readonly Role[];
  }
  interface FastifyInstance {
    /** Settings of the access control (installAccessControl), for route plugins. */
    readonly accessControl: AccessControlSettings;
  }
}

export const MIN_KEY_LENGTH = 16;
export const MAX_KEY_LENGTH = 512;
/** Bearer token characters (RFC 6750 b64token); also excludes the `:` and `,` of VETO_API_KEYS. */
const KEY_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;
const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const DEFAULT_REVIEW_RATE_LIMIT = 600;

/** Paths (route URLs) answered without a key. */
const PUBLIC_ROUTES = new Set(['/health', '/ready', '/metrics']);
const isPublicRoute = (url: string): boolean => PUBLIC_ROUTES.has(url) || url === '/docs' || url.startsWith('/docs/');

/** A key's default name: its role and position, e.g. `authorizer-1`. */
const defaultName = (role: string, index: number) => `${role}-${index + 1}`;

/**
 * Validates keys; returns one message per problem, never containing a key.
 * `label(i)` names entry i in messages (e.g. `auth.apiKeys[0]`, `VETO_API_KEYS entry 1`).
 */
export function checkApiKeys(entries: readonly ApiKeyEntry[], label: (index: number) => string): string[] {
  const problems: string[] = [];
  const byDigest = new Map<string, number>();
  const byName = new Map<string, number>();
  entries.forEach((entry, i) => {
    const where = label(i);
    const key: unknown = entry.key;
    if (typeof key !== 'string') {
      problems.push(`${where}: the key must be a string`);
    } else {
      if (key.length < MIN_KEY_LENGTH) problems.push(`${where}: the key has ${key.length} characters; at least ${MIN_KEY_LENGTH} are required`);
      else if (key.length > MAX_KEY_LENGTH) problems.push(`${where}: the key has ${key.length} characters; at most ${MAX_KEY_LENGTH} are allowed`);
      if (key.length > 0 && !KEY_PATTERN.test(key)) problems.push(`${where}: the key may only contain A-Z a-z 0-9 . _ ~ + / = -`);
      const digest = sha256(key).toString('hex');
      const first = byDigest.get(digest);
      if (first !== undefined) problems.push(`${where}: the same key as ${label(first)} (each key must be unique)`);
      else byDigest.set(digest, i);
    }
    if (!(ROLE_NAMES as readonly string[]).includes(entry.role)) {
      problems.push(`${where}: unknown role ${JSON.stringify(entry.role)} (expected ${ROLE_NAMES.join(', ')})`);
    }
    if (entry.name !== undefined && !NAME_PATTERN.test(entry.name)) {
      problems.push(`${where}: the name must be 1-64 characters of A-Z a-z 0-9 . _ @ -`);
    }
    const name = entry.name ?? defaultName(entry.role, i);
    const sameName = byName.get(name);
    if (sameName !== undefined) problems.push(`${where}: the name ${JSON.stringify(name)} is also used by ${label(sameName)} (names identify callers)`);
    else byName.set(name, i);
  });
  return problems;
}

/** Parses VETO_API_KEYS: `key:role[:name]` entries, comma-separated. Problems never contain a key. */
export function parseApiKeysEnv(raw: string): { entries: ApiKeyEntry[]; problems: string[] } {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  // Entries are numbered from 1, empty ones (`a,,b`, a trailing comma) not counted.
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  parts.forEach((part, i) => {
    const fields = part.split(':').map((s) => s.trim());
    const [key, role, name] = fields;
    if (fields.length < 2 || fields.length > 3 || !key || !role || (fields.length === 3 && !name)) {
      problems.push(`VETO_API_KEYS entry ${i + 1}: expected key:role or key:role:name`);
      return;
    }
    entries.push({ key, role, ...(name ? { name } : {}) });
  });
  return { entries, problems };
}

/** A random development key: 32 bytes, base64url (43 characters). */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The configured keys as SHA-256 digests; looks a presented key up in constant time. */
export class ApiKeyring {
  private readonly keys: readonly { readonly digest: Buffer; readonly caller: Caller }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    const problems = checkApiKeys(entries, (i) => `apiKeys[${i}]`);
    if (problems.length > 0) throw new Error(`invalid API keys:\n  - ${problems.join('\n  - ')}`);
    this.keys = entries.map((e, i) => ({ digest: sha256(e.key), caller: { name: e.name ?? defaultName(e.role, i), role: e.role as Role } }));
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The caller whose key this is, or undefined. Both sides are hashed, so the
   * comparison takes the same time whatever the presented key's length, and
   * every key is compared (no early exit).
   */
  authenticate(presented: string): Caller | undefined {
    const digest = sha256(presented);
    let found: Caller | undefined;
    for (const k of this.keys) {
      const equal = timingSafeEqual(digest, k.digest);
      found = equal ? k.caller : found;
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer +([^\s]+) *$/i.exec(header);
  return m?.[1];
}

/** The authenticated caller of a protected route's request (handlers: "who did this"). */
export function callerOf(request: { readonly caller: Caller | null }): Caller {
  if (request.caller === null) throw new ApiError('UNAUTHORIZED', 'this request has no authenticated caller');
  return request.caller;
}

/**
 * Route config of the review API's rate limit: `config: { roles, rateLimit: reviewRateLimit(app) }`.
 * At most `auth.reviewRateLimitPerMinute` requests per minute per API key (by
 * the key's name), counted over every route using it; beyond that, 429 RATE_LIMITED.
 */
export function reviewRateLimit(app: { readonly accessControl: AccessControlSettings }): RateLimitOptions {
  const settings = app.accessControl as AccessControlSettings | undefined;
  if (settings === undefined) throw new Error('reviewRateLimit: installAccessControl() must run before the routes are registered');
  return { max: settings.reviewRateLimitPerMinute, timeWindow: 60_000, groupId: 'review' };
}

/**
 * Fixed-window counters shared by every rate-limited route (the plugin's
 * default store has one per route): the review budget is per key, not per route.
 */
class SharedWindowStore implements FastifyRateLimitStore {
  private readonly windows = new Map<string, { current: number; startMs: number; ttl: number }>();

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow = 60_000): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (w === undefined || w.startMs + timeWindow <= now) {
      if (this.windows.size >= 10_000) this.prune(now, timeWindow);
      w = { current: 0, startMs: now, ttl: timeWindow };
      this.windows.set(key, w);
    }
    w.current += 1;
    w.ttl = w.startMs + timeWindow - now;
    callback(null, { current: w.current, ttl: w.ttl });
  }

  child(): FastifyRateLimitStore {
    return this;
  }

  private prune(now: number, timeWindow: number): void {
    for (const [key, w] of this.windows) if (w.startMs + timeWindow <= now) this.windows.delete(key);
    if (this.windows.size >= 10_000) this.windows.clear();
  }
}

const DOCS_ERRORS = [401, 403, 429] as const;

/**
 * OpenAPI: marks protected routes with the bearer scheme and their roles, and
 * adds the 401/403 (and 429 when rate-limited) answers. For @fastify/swagger's `transform`.
 */
export function documentAccess({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (isPublicRoute(url)) return { schema: { ...schema, security: [] } as FastifySchema, url };
  const roles = route.config?.roles ?? [];
  const limited = route.config?.rateLimit !== undefined && route.config.rateLimit !== false;
  const s = (schema ?? {}) as FastifySchema & { description?: string; response?: Record<string, unknown> };
  const response = { ...(s.response ?? {}) };
  for (const status of DOCS_ERRORS) if (status !== 429 || limited) response[status] ??= ErrorResponse;
  const access = roles.length > 0 ? `Roles: ${roles.join(', ')}.` : 'No role may call this route.';
  return {
    schema: { ...s, security: [{ apiKey: [] }], description: s.description ? `${s.description}\n\n${access}` : access, response } as FastifySchema,
    url,
  };
}

/**
 * Installs access control on the root instance, before any route is
 * registered: the `request.caller` decorator, the authentication hook, and the
 * rate-limit plugin (`global: false`: only routes with `config.rateLimit`).
 */
export async function installAccessControl(app: FastifyInstance, options: AccessControlOptions): Promise<void> {
  const keyring = new ApiKeyring(options.apiKeys);
  const settings: AccessControlSettings = { reviewRateLimitPerMinute: options.reviewRateLimitPerMinute ?? DEFAULT_REVIEW_RATE_LIMIT };
  app.decorate('accessControl', settings);
  app.decorateRequest('caller', null);

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    // No route matched: the 404 handler answers (it reveals nothing /docs does not).
    if (request.is404) return;
    const config = request.routeOptions.config;
    const url = request.routeOptions.url ?? '';
    if (isPublicRoute(url)) return;
    const token = bearerToken(request.headers.authorization);
    const caller = token === undefined ? undefined : keyring.authenticate(token);
    if (caller === undefined) {
      void reply.header('www-authenticate', token === undefined ? 'Bearer realm="veto"' : 'Bearer realm="veto", error="invalid_token"');
      throw new ApiError(
        'UNAUTHORIZED',
        request.headers.authorization === undefined
          ? "missing API key: send 'Authorization: Bearer <key>'"
          : token === undefined
            ? "the Authorization header must be 'Bearer <key>'"
            : 'unknown API key',
      );
    }
    request.caller = caller;
    const roles = config.roles;
    if (roles === undefined || !roles.includes(caller.role)) {
      throw new ApiError(
        'FORBIDDEN',
        roles === undefined
          ? `${request.method} ${url} declares no roles: denied to every key`
          : `API key '${caller.name}' (role ${caller.role}) may not call ${request.method} ${url} (roles: ${roles.join(', ')})`,
      );
    }
  });

  await app.register(rateLimit, {
    global: false,
    max: settings.reviewRateLimitPerMinute,
    timeWindow: 60_000,
    store: SharedWindowStore,
    keyGenerator: (request) => (request.caller ? `key:${request.caller.name}|` : `ip:${request.ip}|`),
    errorResponseBuilder: (_request, context) =>
      new ApiError('RATE_LIMITED', `rate limit exceeded: at most ${context.max} requests per minute for this API key; retry in ${context.after}`),
  });
}

/**
 * Declares `roles` on every route of a plugin that does not declare its own
 * (e.g. `app.register(withRoles(ROLES.authorize, authorizeRoutes(engine)))`).
 */
export function withRoles<Options extends Record<string, unknown>>(roles: readonly Role[], plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  // The plugin runs in this same scope (not registered one level deeper).
  return async (scope, options) => {
    scope.addHook('onRoute', (route) => {
      if (route.config?.roles === undefined) route.config = { ...route.config, roles };
    });
    await plugin(scope, options);
  };
}
