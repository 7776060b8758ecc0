/**
 * Access control: API keys with roles (401 without or with an unknown key, 403
 * for a role the route does not allow, and nothing changes either way), public
 * operations routes, constant-time key lookup, configuration errors, the
 * embedded development key, the review rate limit, and keys never logged.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/app/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { ApiKeyring, bearerToken, parseApiKeysEnv, reviewRateLimit, ROLES, type Caller } from '../../src/http/auth.js';
import { serveLogger } from '../../src/cli/serve.js';
import {
  ADMIN_KEY,
  ANALYST_KEY,
  auth,
  AUTHORIZER_KEY,
  listen,
  metricValue,
  postJson,
  startRuntime,
  TestScorer,
  tx,
  withKey,
  type DecisionBody,
  type ErrorBody,
} from './helpers.js';

// timingSafeEqual is wrapped so the tests can count the comparisons of a lookup.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, 'config');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** Adds test routes (before the app is ready): a caller echo, two review-rate-limited routes, one without roles. */
function addTestRoutes(app: FastifyInstance): void {
  app.get('/test/whoami', { config: { roles: ROLES.analystRead } }, async (request) => ({ caller: request.caller as Caller }));
  app.get('/test/limited', { config: { roles: ROLES.analystRead, rateLimit: reviewRateLimit(app) } }, async () => ({ ok: true }));
  app.get('/test/limited-too', { config: { roles: ROLES.analystRead, rateLimit: reviewRateLimit(app) } }, async () => ({ ok: true }));
  app.get('/test/undeclared', async () => ({ ok: true }));
  app.post('/test/admin-only', { config: { roles: ROLES.admin } }, async (request) => ({ by: request.caller?.name }));
}

describe('POST /v1/authorize needs an authorizer or admin key', () => {
  let runtime: Runtime;
  let baseUrl: string;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_SCORING_TIMEOUT_MS: '2000' }, { scorer: new TestScorer() });
    addTestRoutes(runtime.app);
    baseUrl = await listen(runtime);
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  /** Sends `body` with `headers`; asserts the status and code and that no actor was created. */
  async function rejected(headers: Record<string, string>, status: number, code: string, payload?: string): Promise<ErrorBody> {
    const body = tx();
    const accountsBefore = runtime.registry.accountCount;
    const terminalsBefore = runtime.registry.terminalCount;
    const res = await runtime.app.inject({ method: 'POST', url: '/v1/authorize', payload: payload ?? body, headers: { 'content-type': 'application/json', ...headers } });
    expect(res.statusCode, res.body).toBe(status);
    const err = res.json<ErrorBody>();
    expect(err.code).toBe(code);
    expect(err.requestId.length).toBeGreaterThan(0);
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="veto"/);
    // Nothing changed: no actor created, and the transaction is then decided fresh.
    expect(runtime.registry.accountCount).toBe(accountsBefore);
    expect(runtime.registry.terminalCount).toBe(terminalsBefore);
    expect(runtime.registry.accountSnapshot(body.accountId)).toBeUndefined();
    if (payload === undefined) {
      const fresh = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }));
      expect(fresh.statusCode).toBe(200);
      expect(fresh.json<DecisionBody>().replayed).toBe(false);
    }
    return err;
  }

  it('without a key → 401 UNAUTHORIZED with WWW-Authenticate: Bearer, and nothing changes', async () => {
    const err = await rejected({}, 401, 'UNAUTHORIZED');
    expect(err.message).toContain('Bearer');
  });

  it('with an unknown key → 401, the message does not echo the key, and nothing changes', async () => {
    const unknown = 'not-a-configured-key-7f3a9c';
    const err = await rejected(auth(unknown), 401, 'UNAUTHORIZED');
    expect(err.message).toBe('unknown API key');
    expect(JSON.stringify(err)).not.toContain(unknown);
  });

  it.each([
    ['another scheme', `Basic ${Buffer.from(`user:${AUTHORIZER_KEY}`).toString('base64')}`],
    ['the bare key', AUTHORIZER_KEY],
    ['Bearer without a key', 'Bearer '],
    ['a key with a space inside', `Bearer ${AUTHORIZER_KEY.slice(0, 8)} ${AUTHORIZER_KEY.slice(8)}`],
  ])('a malformed Authorization header (%s) → 401', async (_name, header) => {
    const err = await rejected({ authorization: header }, 401, 'UNAUTHORIZED');
    expect(err.message).not.toContain(AUTHORIZER_KEY);
  });

  it('an analyst key → 403 FORBIDDEN, and nothing changes', async () => {
    const err = await rejected(auth(ANALYST_KEY), 403, 'FORBIDDEN');
    expect(err.message).toContain('analyst');
    expect(err.message).not.toContain(ANALYST_KEY);
  });

  it('authentication runs before the body is read: an unauthenticated invalid or oversized body → 401, not 400/413', async () => {
    await rejected({}, 401, 'UNAUTHORIZED', '{"txId":');
    await rejected({}, 401, 'UNAUTHORIZED', JSON.stringify({ ...tx(), padding: 'x'.repeat(64 * 1024) }));
    await rejected(auth(ANALYST_KEY), 403, 'FORBIDDEN', '{"txId":');
  });

  it.each([
    ['authorizer', AUTHORIZER_KEY],
    ['admin', ADMIN_KEY],
  ])('an %s key → 200 and a decision', async (_role, key) => {
    const body = tx();
    const res = await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: body }, key));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<DecisionBody>().txId).toBe(body.txId);
    expect(runtime.registry.accountSnapshot(body.accountId)?.context.txCount).toBe(1);
  });

  it('over a real socket: 401 without a key, 200 with one; the scheme is case-insensitive', async () => {
    expect((await postJson(baseUrl, tx(), {}, null)).status).toBe(401);
    expect((await postJson(baseUrl, tx())).status).toBe(200);
    const res = await fetch(`${baseUrl}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${AUTHORIZER_KEY}` },
      body: JSON.stringify(tx()),
    });
    expect(res.status).toBe(200);
  });

  it.each(['/health', '/ready', '/metrics', '/docs/json', '/docs'])('GET %s needs no key', async (url) => {
    const res = await runtime.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBeLessThan(400);
  });

  it('public routes ignore a bad key', async () => {
    const res = await runtime.app.inject({ method: 'GET', url: '/health', headers: auth('not-a-configured-key-7f3a9c') });
    expect(res.statusCode).toBe(200);
  });

  it('an unknown route is 404 with or without a key', async () => {
    expect((await runtime.app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(404);
    expect((await runtime.app.inject(withKey({ method: 'GET', url: '/v1/nothing' }))).statusCode).toBe(404);
  });

  it('the caller is attached to the request: request.caller = { name, role }', async () => {
    const res = await runtime.app.inject(withKey({ method: 'GET', url: '/test/whoami' }, ANALYST_KEY));
    expect(res.statusCode).toBe(200);
    // VETO_API_KEYS entries without a name are named after their role and position.
    expect(res.json()).toEqual({ caller: { name: 'analyst-3', role: 'analyst' } });
  });

  it('admin may call admin routes; analysts and authorizers may not', async () => {
    expect((await runtime.app.inject(withKey({ method: 'POST', url: '/test/admin-only' }, ADMIN_KEY))).json()).toEqual({ by: 'admin-2' });
    expect((await runtime.app.inject(withKey({ method: 'POST', url: '/test/admin-only' }, ANALYST_KEY))).statusCode).toBe(403);
    expect((await runtime.app.inject(withKey({ method: 'POST', url: '/test/admin-only' }, AUTHORIZER_KEY))).statusCode).toBe(403);
  });

  it('a route that declares no roles is denied to every key, admin included', async () => {
    for (const key of [AUTHORIZER_KEY, ANALYST_KEY, ADMIN_KEY]) {
      const res = await runtime.app.inject(withKey({ method: 'GET', url: '/test/undeclared' }, key));
      expect(res.statusCode).toBe(403);
      expect(res.json<ErrorBody>().code).toBe('FORBIDDEN');
    }
    expect((await runtime.app.inject({ method: 'GET', url: '/test/undeclared' })).statusCode).toBe(401);
  });

  it('counts rejections by catalogue code in veto_errors_total', async () => {
    const text = async () => (await runtime.app.inject({ method: 'GET', url: '/metrics' })).body;
    const before = await text();
    const n = (t: string, code: string) => metricValue(t, 'veto_errors_total', { code }) ?? 0;
    await runtime.app.inject({ method: 'POST', url: '/v1/authorize', payload: tx() });
    await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }, ANALYST_KEY));
    const after = await text();
    expect(n(after, 'UNAUTHORIZED')).toBe(n(before, 'UNAUTHORIZED') + 1);
    expect(n(after, 'FORBIDDEN')).toBe(n(before, 'FORBIDDEN') + 1);
  });

  it('the OpenAPI document declares the bearer scheme, the roles and the 401/403 answers', async () => {
    const doc = (await runtime.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; description?: string; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const op = doc.paths['/v1/authorize']?.post;
    expect(op?.security).toEqual([{ apiKey: [] }]);
    expect(op?.description).toContain('Roles: authorizer, admin');
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    expect(doc.paths['/health']?.get?.security).toEqual([]);
  });
});

describe('constant-time key lookup', () => {
  const keys = [
    { key: 'k'.repeat(16), role: 'authorizer', name: 'short' },
    { key: `${'m'.repeat(39)}Z`, role: 'analyst', name: 'medium' },
    { key: 'L'.repeat(200), role: 'admin', name: 'long' },
  ];

  it('compares SHA-256 digests against every key, whatever the presented key and wherever it matches', () => {
    const ring = new ApiKeyring(keys);
    const presented = ['', 'k', 'k'.repeat(15), 'k'.repeat(17), 'm'.repeat(40), 'L'.repeat(199), 'L'.repeat(201), 'x'.repeat(5000), ...keys.map((k) => k.key)];
    for (const p of presented) {
      timingSafeEqual.mockClear();
      const caller = ring.authenticate(p);
      expect(caller, p.slice(0, 20)).toEqual(keys.find((k) => k.key === p) ? { name: keys.find((k) => k.key === p)?.name, role: keys.find((k) => k.key === p)?.role } : undefined);
      // One comparison per configured key, of equal-length (32-byte) digests: no early exit.
      expect(timingSafeEqual).toHaveBeenCalledTimes(keys.length);
      for (const [a, b] of timingSafeEqual.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });

  it('over HTTP: keys of 16, 40 and 200 characters are accepted exactly; prefixes, extensions and other lengths are not', async () => {
    const runtime = await startRuntime(
      { VETO_API_KEYS: keys.map((k) => `${k.key}:${k.role}:${k.name}`).join(','), VETO_SCORING_TIMEOUT_MS: '2000' },
      { scorer: new TestScorer() },
    );
    try {
      const status = async (key: string) => (await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }, key))).statusCode;
      expect(await status(keys[0]!.key)).toBe(200);
      expect(await status(keys[1]!.key)).toBe(403); // analyst
      expect(await status(keys[2]!.key)).toBe(200);
      for (const bad of ['k'.repeat(15), 'k'.repeat(17), 'm'.repeat(39), `${'m'.repeat(39)}Z0`, 'L'.repeat(199), 'L'.repeat(1000), 'z']) {
        expect(await status(bad), `${bad.length} characters`).toBe(401);
      }
    } finally {
      await runtime.shutdown();
    }
  });

  it('bearerToken parses only `Bearer <token>`', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('BEARER  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
  });
});

describe('API key configuration', () => {
  const valid = 'a-valid-length-key-0001';

  it('VETO_API_KEYS: key:role and key:role:name, comma-separated, spaces and empty entries ignored', () => {
    const config = loadConfig({ VETO_API_KEYS: ` ${valid}:authorizer , ${valid}-2:admin:ops-admin,, ` }, 'config');
    expect(config.auth.apiKeys).toEqual([
      { key: valid, role: 'authorizer' },
      { key: `${valid}-2`, role: 'admin', name: 'ops-admin' },
    ]);
    expect(parseApiKeysEnv('').entries).toEqual([]);
  });

  it('VETO_REVIEW_RATE_LIMIT sets auth.reviewRateLimitPerMinute (default 600)', () => {
    expect(loadConfig({}, 'config').auth.reviewRateLimitPerMinute).toBe(600);
    expect(loadConfig({ VETO_REVIEW_RATE_LIMIT: '42' }, 'config').auth.reviewRateLimitPerMinute).toBe(42);
    expect(problemsOf({ VETO_REVIEW_RATE_LIMIT: '0' }).join('\n')).toContain('/auth/reviewRateLimitPerMinute');
  });

  it.each([
    ['an unknown role', `${valid}:superuser`, /VETO_API_KEYS entry 1: unknown role "superuser" \(expected authorizer, analyst, admin\)/],
    ['a short key', 'tinykey0123:authorizer', /VETO_API_KEYS entry 1: the key has 11 characters; at least 16 are required/],
    ['a duplicate key', `${valid}:authorizer,${valid}:admin`, /VETO_API_KEYS entry 2: the same key as VETO_API_KEYS entry 1/],
    ['a duplicate name', `${valid}:authorizer:pos,${valid}-2:admin:pos`, /VETO_API_KEYS entry 2: the name "pos" is also used by VETO_API_KEYS entry 1/],
    ['a missing role', `${valid}`, /VETO_API_KEYS entry 1: expected key:role or key:role:name/],
    ['too many fields', `${valid}:admin:name:extra`, /VETO_API_KEYS entry 1: expected key:role or key:role:name/],
    ['a key with forbidden characters', 'a-valid-length-key-with-ü:admin', /VETO_API_KEYS entry 1: the key may only contain/],
  ])('%s → ConfigError, without echoing the key', (_name, value, message) => {
    const problems = problemsOf({ VETO_API_KEYS: value });
    expect(problems.join('\n')).toMatch(message);
    const key = value.split(':')[0] as string;
    for (const p of problems) expect(p).not.toContain(key);
  });

  it('every problem is reported at once', () => {
    const problems = problemsOf({ VETO_API_KEYS: `tinykey0123:authorizer,${valid}:root,${valid}:admin` });
    expect(problems).toHaveLength(3);
  });

  it('auth.apiKeys of a VETO_CONFIG file are checked the same way, without echoing a key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veto-auth-'));
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify({ auth: { apiKeys: [{ key: 'tinykey0123', role: 'analyst' }, { key: 1234567890123456, role: 'admin' }] } }));
    const problems = problemsOf({ VETO_CONFIG: path });
    expect(problems.join('\n')).toContain('/auth/apiKeys/1/key');
    expect(problems.join('\n')).not.toContain('1234567890123456');
    writeFileSync(path, JSON.stringify({ auth: { apiKeys: [{ key: 'tinykey0123', role: 'analyst' }] } }));
    const short = problemsOf({ VETO_CONFIG: path });
    expect(short).toEqual(['auth.apiKeys[0]: the key has 11 characters; at least 16 are required']);
    writeFileSync(path, JSON.stringify({ auth: { apiKeys: [{ key: valid, role: 'analyst', name: 'desk-1' }] } }));
    expect(loadConfig({ VETO_CONFIG: path }, 'config').auth.apiKeys).toEqual([{ key: valid, role: 'analyst', name: 'desk-1' }]);
  });

  it('service mode (Redis/NATS configured) without keys refuses to start with a ConfigError', async () => {
    const config = loadConfig({ VETO_REDIS_URL: 'redis://127.0.0.1:1' }, 'config');
    await expect(createRuntime(config, { scorer: new TestScorer() })).rejects.toThrow(ConfigError);
    await expect(createRuntime(config, { scorer: new TestScorer() })).rejects.toThrow(/VETO_API_KEYS/);
  });
});

describe('embedded mode without keys: a development admin key', () => {
  it('is generated (32 random bytes, base64url), differs per run, and is the only key accepted', async () => {
    const a = await createRuntime(loadConfig({}, 'config'), { scorer: new TestScorer() });
    const b = await createRuntime(loadConfig({}, 'config'), { scorer: new TestScorer() });
    try {
      expect(a.devApiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(b.devApiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.devApiKey).not.toBe(b.devApiKey);
      const post = (key?: string) =>
        a.app.inject({ method: 'POST', url: '/v1/authorize', payload: tx(), headers: key === undefined ? {} : auth(key) });
      expect((await post()).statusCode).toBe(401);
      expect((await post(b.devApiKey)).statusCode).toBe(401);
      expect((await post(AUTHORIZER_KEY)).statusCode).toBe(401);
      expect((await post(a.devApiKey)).statusCode).toBe(200);
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
  });

  it('is not generated when keys are configured', async () => {
    const runtime = await startRuntime({}, { scorer: new TestScorer() });
    try {
      expect(runtime.devApiKey).toBeUndefined();
    } finally {
      await runtime.shutdown();
    }
  });

  it('veto serve prints it on stderr (not in the logs) and it works', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: process.cwd(),
      env: { ...process.env, VETO_PORT: '0', VETO_HOST: '127.0.0.1', VETO_LOG_LEVEL: 'info', VETO_API_KEYS: '', VETO_NATS_URL: '', VETO_REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening within 20 s; stderr: ${stderr}`)), 20_000);
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = /veto listening on (http:\/\/[^\s"]+)/.exec(stdout);
          if (m?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exited.then((code) => reject(new Error(`veto serve exited early with ${code}; stderr: ${stderr}`)));
      });
      const key = /development API key \(admin\): (\S+)/.exec(stderr)?.[1];
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(stdout).not.toContain(key as string);
      expect(stdout).toContain('development admin key was generated');
      expect((await postJson(address, tx(), {}, null)).status).toBe(401);
      expect((await postJson(address, tx(), {}, key as string)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('veto serve in service mode without keys exits 2 with the reason on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: process.cwd(),
      env: { ...process.env, VETO_PORT: '0', VETO_API_KEYS: '', VETO_REDIS_URL: 'redis://127.0.0.1:1', VETO_NATS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('no API keys configured');
  }, 30_000);
});

describe('review rate limit', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await startRuntime({ VETO_REVIEW_RATE_LIMIT: '3' }, { scorer: new TestScorer() });
    addTestRoutes(runtime.app);
  });

  afterAll(async () => {
    await runtime?.shutdown();
  });

  const get = (url: string, key: string) => runtime.app.inject(withKey({ method: 'GET', url }, key));

  it('after N requests per minute a key gets 429 RATE_LIMITED (catalogue envelope, Retry-After); other keys are not affected', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await get('/test/limited', ANALYST_KEY);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await get('/test/limited', ANALYST_KEY);
    expect(limited.statusCode).toBe(429);
    const err = limited.json<ErrorBody>();
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toContain('3 requests per minute');
    expect(err.requestId.length).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The budget is per key, and shared by every route using reviewRateLimit.
    expect((await get('/test/limited-too', ANALYST_KEY)).statusCode).toBe(429);
    expect((await get('/test/limited', ADMIN_KEY)).statusCode).toBe(200);
    // Routes without the limit are not counted.
    expect((await get('/test/whoami', ANALYST_KEY)).statusCode).toBe(200);
    // Authentication comes first: no key → 401, not 429.
    expect((await runtime.app.inject({ method: 'GET', url: '/test/limited' })).statusCode).toBe(401);
    const metrics = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metricValue(metrics, 'veto_errors_total', { code: 'RATE_LIMITED' })).toBe(2);
  });

  it('POST /v1/authorize is not rate-limited', async () => {
    for (let i = 0; i < 5; i++) expect((await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }))).statusCode).toBe(200);
  });
});

describe('API keys never reach the logs', () => {
  it('requests with bad, valid and forbidden keys leave no key in the log output; authorization headers are redacted', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = serveLogger('trace', stream);
    const badKey = 'leaked-if-logged-0123456789';
    const runtime = await startRuntime({}, { scorer: new TestScorer(), logger });
    try {
      await runtime.app.inject({ method: 'POST', url: '/v1/authorize', payload: tx(), headers: auth(badKey) });
      await runtime.app.inject({ method: 'POST', url: '/v1/authorize', payload: tx(), headers: { authorization: badKey } });
      await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }, ANALYST_KEY));
      await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: '{"broken":' }));
      await runtime.app.inject(withKey({ method: 'POST', url: '/v1/authorize', payload: tx() }));
      // Anything that logs a request's headers gets them redacted.
      logger.info({ req: { headers: { authorization: `Bearer ${AUTHORIZER_KEY}` } } }, 'probe');
    } finally {
      await runtime.shutdown();
    }
    const output = lines.join('');
    expect(output).toContain('UNAUTHORIZED'); // the rejections were logged…
    expect(output).toContain('FORBIDDEN');
    expect(output).toContain('[redacted]');
    for (const key of [badKey, AUTHORIZER_KEY, ANALYST_KEY, ADMIN_KEY]) expect(output).not.toContain(key); // …without a key
  });
});
