/**
 * RedisCaseStore against a real Redis: the CaseStore contract (shared with the
 * in-memory store), persistence across instances, the key layout, the Lua
 * compare-and-set under real concurrency, a shared client, and failing fast
 * when Redis is unreachable. Every test works under its own random key prefix,
 * deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CaseStoreCorruptError, CaseStoreUnavailableError, caseIndexKeys, type AuditCaps } from '../../src/adapters/case-store.js';
import { callCaseScript, defineCaseScripts, RedisCaseStore, type RedisCaseStoreOptions } from '../../src/adapters/redis/redis-case-store.js';
import { assignCase, resolveCase, type CaseRecord } from '../../src/domain/case.js';
import { caseStoreContract, iso, makeCase } from '../unit/case-store-contract.js';
import { describeWithService, redisUrl } from './services.js';

await describeWithService('redis', 'RedisCaseStore', () => {
  let admin: Redis;
  const prefixes: string[] = [];
  const stores: RedisCaseStore[] = [];
  let prefix: string;

  function open(options: Partial<RedisCaseStoreOptions> = {}): RedisCaseStore {
    const s = new RedisCaseStore({ ...(options.redis === undefined ? { url: redisUrl() } : {}), prefix, ...options });
    stores.push(s);
    return s;
  }

  beforeAll(() => {
    admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    defineCaseScripts(admin);
  });

  beforeEach(() => {
    prefix = `veto-test-${randomUUID()}`;
    prefixes.push(prefix);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${p}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    }
    await admin.quit();
  });

  describe('contract', () => {
    caseStoreContract(async (caps?: AuditCaps) => {
      const s = open(caps);
      await s.connect();
      return s;
    });
  });

  it('persists cases and the audit trail across store instances', async () => {
    const first = open();
    const c = makeCase('tx-1', { score: 0.8 });
    expect(await first.open(c)).toBe(true);
    expect(await first.update(assignCase(c, 'alice', iso(1)), 0)).toBe(true);
    await first.appendAudit({ at: iso(1), actor: 'alice', role: 'analyst', action: 'assign', target: 'tx-1' });
    await first.close();

    const second = open();
    expect(await second.get('tx-1')).toEqual(assignCase(c, 'alice', iso(1)));
    expect(await second.open(c)).toBe(false);
    expect((await second.list({ status: 'assigned', sort: 'score', limit: 10 })).items.map((x) => x.id)).toEqual(['tx-1']);
    expect((await second.audit('tx-1')).map((e) => e.action)).toEqual(['assign']);
    // A cursor of one instance works on another.
    await second.open(makeCase('tx-2', { score: 0.1 }));
    const p1 = await second.list({ sort: 'score', limit: 1 });
    const third = open();
    expect((await third.list({ sort: 'score', limit: 1, cursor: p1.nextCursor as string })).items.map((x) => x.id)).toEqual(['tx-2']);
  });

  it('keeps the documented key layout', async () => {
    const store = open();
    const c = makeCase('tx{1}', { score: null });
    await store.open(c);
    await store.appendAudit({ at: iso(1), actor: 'alice', role: 'analyst', action: 'note', target: 'acc-1' });
    const { score, time } = caseIndexKeys(c);

    const caseKey = `${prefix}:{cases}:case:tx%7B1%7D`;
    expect(store.keys.caseKey('tx{1}')).toBe(caseKey);
    expect(await admin.type(caseKey)).toBe('hash');
    expect(await admin.hgetall(caseKey)).toEqual({
      json: JSON.stringify(c),
      version: '0',
      status: 'open',
      score_key: score,
      time_key: time,
      resolved_key: '',
    });
    for (const index of ['open', 'all']) {
      expect(await admin.zrange(`${prefix}:{cases}:by-score:${index}`, 0, -1, 'WITHSCORES')).toEqual([score, '0']);
      expect(await admin.zrange(`${prefix}:{cases}:by-time:${index}`, 0, -1, 'WITHSCORES')).toEqual([time, '0']);
    }
    expect(await admin.exists(`${prefix}:{cases}:by-score:resolved`, `${prefix}:{cases}:by-resolution`)).toBe(0);
    expect(await admin.llen(`${prefix}:{audit}`)).toBe(1);
    expect(await admin.llen(`${prefix}:{audit}:acc-1`)).toBe(1);

    // Resolving moves the members: out of open, into resolved and by-resolution; 'all' keeps one of each.
    const done = resolveCase(c, 'bob', 'fraud', null, iso(5));
    expect(await store.update(done, 0)).toBe(true);
    expect(await admin.zcard(`${prefix}:{cases}:by-score:open`)).toBe(0);
    expect(await admin.zcard(`${prefix}:{cases}:by-time:open`)).toBe(0);
    expect(await admin.zrange(`${prefix}:{cases}:by-score:resolved`, 0, -1)).toEqual([score]);
    expect(await admin.zrange(`${prefix}:{cases}:by-score:all`, 0, -1)).toEqual([score]);
    expect(await admin.zrange(`${prefix}:{cases}:by-resolution`, 0, -1)).toEqual([caseIndexKeys(done).resolved]);
    expect(await admin.hget(caseKey, 'version')).toBe('1');

    // Nothing outside the prefix.
    const keys: string[] = [];
    for (const pattern of store.keys.all) keys.push(...(await admin.keys(pattern)));
    expect(keys.every((k) => k.startsWith(`${prefix}:`))).toBe(true);
    expect(keys.length).toBe((await admin.keys(`${prefix}:*`)).length);
  });

  it('the case-update script is atomic: of many clients racing on one version, exactly one writes', async () => {
    const seed = open();
    const c = makeCase('tx-race');
    await seed.open(c);
    const racers = Array.from({ length: 8 }, () => open());
    await Promise.all(racers.map((s) => s.connect()));
    const results = await Promise.all(racers.map((s, i) => s.update(assignCase(c, `analyst-${i}`, iso(1)), 0)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = (await seed.get('tx-race')) as CaseRecord;
    expect(stored).toMatchObject({ version: 1, assignee: `analyst-${results.indexOf(true)}` });
    expect(await admin.zcard(seed.keys.byScore('assigned'))).toBe(1);
    expect(await admin.zcard(seed.keys.byScore('open'))).toBe(0);
  });

  it('reports script contract violations and corrupt data', async () => {
    const store = open();
    const keys = store.keys.scriptKeys('x');
    await expect(callCaseScript(admin, 'case-update', keys, ['{}', '0', '1'])).rejects.toThrow(/expected 10 keys and 7 arguments/);
    await expect(callCaseScript(admin, 'case-open', keys, ['{}', 'v1', 'open', 'a', 'b', ''])).rejects.toThrow(/version must be/);
    await expect(callCaseScript(admin, 'case-open', keys, ['{}', '0', 'resolved', 'a', 'b', ''])).rejects.toThrow(/index members/);
    expect(await callCaseScript(admin, 'case-update', keys, ['{}', '0', '1', 'open', 'a', 'b', ''])).toBe(-1);

    await admin.set(store.keys.caseKey('bad'), 'not a hash');
    await expect(store.get('bad')).rejects.toBeInstanceOf(CaseStoreCorruptError);
    await admin.hset(store.keys.caseKey('bad-json'), 'json', '{oops');
    await expect(store.get('bad-json')).rejects.toBeInstanceOf(CaseStoreCorruptError);
    await admin.hset(store.keys.caseKey('no-version'), 'json', '{}');
    await expect(store.update(assignCase(makeCase('no-version'), 'a', iso(1)), 0)).rejects.toBeInstanceOf(CaseStoreCorruptError);
  });

  it('shares an existing client and leaves it open on close', async () => {
    const shared = new Redis(redisUrl());
    try {
      const a = open({ redis: shared });
      const b = open({ redis: shared });
      await a.open(makeCase('tx-shared'));
      expect((await b.get('tx-shared'))?.id).toBe('tx-shared');
      await a.close();
      await expect(a.get('tx-shared')).rejects.toBeInstanceOf(CaseStoreUnavailableError);
      expect(await shared.ping()).toBe('PONG');
      expect((await b.get('tx-shared'))?.id).toBe('tx-shared');
    } finally {
      await shared.quit();
    }
    expect(() => new RedisCaseStore({ prefix: 'p' })).toThrow(RangeError);
    expect(() => new RedisCaseStore({ prefix: 'p{x}', url: redisUrl() })).toThrow(RangeError);
  });

  it('fails fast when Redis is unreachable', async () => {
    const store = open({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    const started = performance.now();
    await expect(store.open(makeCase('tx-1'))).rejects.toBeInstanceOf(CaseStoreUnavailableError);
    await expect(store.list({ sort: 'score', limit: 10 })).rejects.toBeInstanceOf(CaseStoreUnavailableError);
    await expect(store.audit()).rejects.toBeInstanceOf(CaseStoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
