/**
 * RedisStateStore against a real Redis: round trips, the seq rule, atomicity
 * of an account's commit, TTLs, the txId index, the key layout, and failing
 * fast (never hanging) when Redis is unreachable, goes away or stops answering.
 * Every test works under its own random key prefix, deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { DecisionRecord } from '../../src/adapters/decision-store.js';
import type { AccountCommit, TerminalCommit } from '../../src/adapters/state-store.js';
import {
  callScript,
  defineScripts,
  RedisStateStore,
  StateStoreCorruptError,
  StateStoreRejectedError,
  StateStoreUnavailableError,
  type RedisStateStoreOptions,
  type StateStoreStatus,
} from '../../src/adapters/redis/mod.js';
import { describeWithService, redisUrl, serviceAddress } from './services.js';

const RETENTION = 3600;

function decision(accountId: string, txId: string, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    txId,
    accountId,
    terminalId: 'term-1',
    amount: 42.5,
    currency: 'EUR',
    timestamp: '2024-05-01T12:00:00.000Z',
    decision: 'allow',
    score: 0.0123,
    reasons: [{ code: 'SCORE', detail: 'score 0.0123 below review threshold' }],
    modelVersion: 'mlp-v1',
    features: { amount: 42.5, acct_tx_1d: 3 },
    latencyMs: 1.7,
    decidedAt: '2024-05-01T12:00:00.003Z',
    ...over,
  };
}

function account(accountId: string, seq: number, txIds: readonly string[] = [], state = `s${seq}`): AccountCommit {
  return {
    accountId,
    snapshot: { snapshot: JSON.stringify({ status: 'active', context: { state } }), seq },
    decisions: txIds.map((tx) => decision(accountId, tx)),
  };
}

function terminal(terminalId: string, seq: number, state = `t${seq}`): TerminalCommit {
  return { terminalId, snapshot: { snapshot: JSON.stringify({ status: 'active', context: { state } }), seq } };
}

async function rejectsWithin<T>(promise: Promise<T>, ms: number): Promise<unknown> {
  const started = performance.now();
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(performance.now() - started).toBeLessThan(ms);
  return error;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A TCP proxy in front of Redis that can be stopped (Redis "goes away") or frozen (Redis "hangs"). */
async function startProxy(port = 0): Promise<{ port: number; freeze(): void; stop(): Promise<void> }> {
  const target = serviceAddress('redis');
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (d) => frozen || upstream.write(d));
    upstream.on('data', (d) => frozen || client.write(d));
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', kill);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => {
      frozen = true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

await describeWithService('redis', 'RedisStateStore', () => {
  let admin: Redis;
  const prefixes: string[] = [];
  const stores: RedisStateStore[] = [];
  let prefix: string;
  let store: RedisStateStore;

  function open(options: Partial<RedisStateStoreOptions> = {}): RedisStateStore {
    const s = new RedisStateStore({ url: redisUrl(), prefix, decisionRetentionSeconds: RETENTION, ...options });
    stores.push(s);
    return s;
  }

  beforeAll(() => {
    admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    defineScripts(admin);
  });

  beforeEach(async () => {
    prefix = `veto-test-${randomUUID()}`;
    prefixes.push(prefix);
    store = open();
    await store.connect();
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

  it('round-trips snapshots and decisions', async () => {
    await store.commit([terminal('t1', 7), terminal('t2', 8)], [account('a1', 8, ['tx1', 'tx2']), account('a2', 6)]);

    expect(await store.loadAccount('a1')).toEqual(account('a1', 8).snapshot);
    expect(await store.loadAccount('a2')).toEqual(account('a2', 6).snapshot);
    expect(await store.loadTerminal('t1')).toEqual(terminal('t1', 7).snapshot);
    expect(await store.loadTerminal('t2')).toEqual(terminal('t2', 8).snapshot);
    expect(await store.get('tx1')).toEqual(decision('a1', 'tx1'));
    expect(await store.get('tx2')).toEqual(decision('a1', 'tx2'));

    expect(await store.loadAccount('nobody')).toBeUndefined();
    expect(await store.loadTerminal('a1')).toBeUndefined();
    expect(await store.get('tx-unknown')).toBeUndefined();
    await store.commit([], []); // nothing to do, no round trip
    await store.flush();
  });

  it('loads many accounts and terminals at once; missing ones are absent', async () => {
    await store.commit(
      [terminal('t1', 1), terminal('t3', 3)],
      [account('a1', 1), account('a2', 2), account('a{3}', 3)],
    );
    const { accounts, terminals } = await store.loadMany(['a1', 'a2', 'a{3}', 'a4', 'a1'], ['t1', 't2', 't3']);
    expect([...accounts.keys()].sort()).toEqual(['a1', 'a2', 'a{3}']);
    expect(accounts.get('a2')).toEqual(account('a2', 2).snapshot);
    expect(accounts.get('a{3}')).toEqual(account('a{3}', 3).snapshot);
    expect([...terminals.keys()].sort()).toEqual(['t1', 't3']);
    expect(terminals.get('t3')).toEqual(terminal('t3', 3).snapshot);

    const none = await store.loadMany([], []);
    expect(none.accounts.size + none.terminals.size).toBe(0);
  });

  it('never moves seq backwards; an equal seq rewrites; seq 0 always writes', async () => {
    await store.commit([terminal('t1', 10)], [account('a1', 10, ['tx10'])]);

    const stale = await store.commitDetailed([terminal('t1', 5)], [account('a1', 5, ['tx5']), account('a2', 5)]);
    expect(stale).toEqual({ staleAccounts: [{ accountId: 'a1', storedSeq: 10 }], staleTerminals: [{ terminalId: 't1', storedSeq: 10 }] });
    expect(await store.loadAccount('a1')).toEqual(account('a1', 10).snapshot);
    expect(await store.loadTerminal('t1')).toEqual(terminal('t1', 10).snapshot);
    expect(await store.loadAccount('a2')).toEqual(account('a2', 5).snapshot);
    // Nothing of a stale account is written (the index entry, written separately, finds no decision).
    expect(await admin.exists(store.keys.decision('a1', 'tx5'))).toBe(0);
    expect(await store.get('tx5')).toBeUndefined();

    const same = await store.commitDetailed([terminal('t1', 10, 'again')], [account('a1', 10, [], 'again')]);
    expect(same).toEqual({ staleAccounts: [], staleTerminals: [] });
    expect(await store.loadAccount('a1')).toEqual(account('a1', 10, [], 'again').snapshot);

    await store.commit([terminal('t1', 0)], [account('a1', 0, ['tx0'])]);
    expect(await store.loadAccount('a1')).toEqual(account('a1', 0).snapshot);
    expect(await store.loadTerminal('t1')).toEqual(terminal('t1', 0).snapshot);
    expect(await store.get('tx0')).toEqual(decision('a1', 'tx0'));

    await store.commit([terminal('t1', 11)], [account('a1', 11)]);
    expect((await store.loadAccount('a1'))?.seq).toBe(11);
    expect((await store.loadTerminal('t1'))?.seq).toBe(11);
  });

  it('writes an account snapshot and its decisions together', async () => {
    const txIds = Array.from({ length: 20 }, (_, i) => `tx-${i}`);
    await store.commit([], [account('a1', 3, txIds)]);
    const keys = [store.keys.accountSnapshot('a1'), ...txIds.map((tx) => store.keys.decision('a1', tx))];
    expect(await admin.exists(...keys)).toBe(keys.length);
    const [snapshot, seq] = await admin.hmget(store.keys.accountSnapshot('a1'), 'snapshot', 'seq');
    expect({ snapshot, seq: Number(seq) }).toEqual(account('a1', 3).snapshot);
    expect(JSON.parse((await admin.get(store.keys.decision('a1', 'tx-7'))) ?? 'null')).toEqual(decision('a1', 'tx-7'));
  });

  it('a script given a malformed argument writes nothing', async () => {
    const snap = store.keys.accountSnapshot('a1');
    const dec = store.keys.decision('a1', 'tx1');
    const json = JSON.stringify(decision('a1', 'tx1'));
    const bad: [string[], string[]][] = [
      [[snap, dec], ['{}', 'not-a-seq', String(RETENTION), json]],
      [[snap, dec], ['{}', '-1', String(RETENTION), json]],
      [[snap, dec], ['{}', '5', '0', json]],
      [[snap, dec], ['{}', '5', String(RETENTION)]], // one decision key, no decision JSON
      [[snap], ['{}', '5', String(RETENTION), json]], // a decision JSON without its key
    ];
    for (const [keys, argv] of bad) {
      await expect(callScript(admin, 'commit-account', keys, argv) as Promise<unknown>).rejects.toThrow(/veto commit-account/);
    }
    await expect(callScript(admin, 'commit-terminal', [store.keys.terminalSnapshot('t1')], ['{}', '1.5']) as Promise<unknown>).rejects.toThrow(
      /veto commit-terminal/,
    );
    expect(await admin.exists(snap, dec, store.keys.terminalSnapshot('t1'))).toBe(0);

    // Invalid input is refused before anything is sent.
    await expect(store.commit([], [account('a1', -1, ['tx1'])])).rejects.toBeInstanceOf(StateStoreRejectedError);
    await expect(store.commit([terminal('t1', 1.5)], [])).rejects.toBeInstanceOf(StateStoreRejectedError);
    await expect(store.commit([], [{ ...account('a1', 1), decisions: [decision('other', 'tx1')] }])).rejects.toBeInstanceOf(StateStoreRejectedError);
    expect((await admin.keys(`${prefix}:*`)).length).toBe(0);
  });

  it('an account whose snapshot key is broken fails alone, with nothing of it written; the commit rejects', async () => {
    await admin.set(store.keys.accountSnapshot('bad'), 'not a hash');
    const error = await store.commit([terminal('t1', 4)], [account('good', 4, ['tx-good']), account('bad', 4, ['tx-bad'])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreCorruptError);
    expect((error as StateStoreCorruptError).code).toBe('STATE_STORE_CORRUPT');
    expect((error as Error).message).toContain('1 of');
    expect(await admin.exists(store.keys.decision('bad', 'tx-bad'))).toBe(0);
    // Per-account atomicity: the others of the same commit were applied (and a retry is idempotent).
    expect(await store.get('tx-good')).toEqual(decision('good', 'tx-good'));
    expect((await store.loadTerminal('t1'))?.seq).toBe(4);
    await expect(store.loadAccount('bad')).rejects.toBeInstanceOf(StateStoreCorruptError);
  });

  it('reports unreadable stored values as corrupt', async () => {
    await admin.hset(store.keys.accountSnapshot('no-seq'), 'snapshot', '{}');
    await admin.hset(store.keys.terminalSnapshot('bad-seq'), 'snapshot', '{}', 'seq', 'x');
    await admin.hset(store.keys.accountSnapshot('no-snap'), 'seq', '3');
    await expect(store.loadAccount('no-seq')).rejects.toBeInstanceOf(StateStoreCorruptError);
    await expect(store.loadTerminal('bad-seq')).rejects.toBeInstanceOf(StateStoreCorruptError);
    await expect(store.loadMany(['no-snap'], [])).rejects.toBeInstanceOf(StateStoreCorruptError);

    await admin.set(store.keys.txIndex('tx-json'), 'a1');
    await admin.set(store.keys.decision('a1', 'tx-json'), '{not json');
    const error = await store.get('tx-json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreCorruptError);
    expect((error as StateStoreCorruptError).key).toBe(store.keys.decision('a1', 'tx-json'));
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);

    await admin.set(store.keys.txIndex('tx-other'), 'a1');
    await admin.set(store.keys.decision('a1', 'tx-other'), JSON.stringify(decision('a1', 'tx-else')));
    await expect(store.get('tx-other')).rejects.toBeInstanceOf(StateStoreCorruptError);
  });

  it('sets the retention TTL on decisions and the index, none on snapshots', async () => {
    await store.commit([terminal('t1', 1)], [account('a1', 1, ['tx1'])]);
    for (const key of [store.keys.decision('a1', 'tx1'), store.keys.txIndex('tx1')]) {
      const ttl = await admin.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(RETENTION);
    }
    expect(await admin.ttl(store.keys.accountSnapshot('a1'))).toBe(-1);
    expect(await admin.ttl(store.keys.terminalSnapshot('t1'))).toBe(-1);
  });

  it('finds a decision by txId through the index', async () => {
    await store.commit([], [account('acc-9', 2, ['tx-9'])]);
    expect(await admin.get(store.keys.txIndex('tx-9'))).toBe('acc-9');
    expect(await store.get('tx-9')).toEqual(decision('acc-9', 'tx-9'));

    // An index entry whose decision is gone (expired, or its commit was stale) reads as "no decision".
    await admin.set(store.keys.txIndex('tx-orphan'), 'acc-9');
    expect(await store.get('tx-orphan')).toBeUndefined();
  });

  it('put records one decision (index + record, with TTL) without touching snapshots', async () => {
    const record = decision('acc-http', 'tx-http', { decision: 'block', score: 0.97 });
    await store.put(record);
    expect(await store.get('tx-http')).toEqual(record);
    expect(await admin.ttl(store.keys.decision('acc-http', 'tx-http'))).toBeGreaterThan(0);
    expect(await admin.ttl(store.keys.txIndex('tx-http'))).toBeGreaterThan(0);
    expect(await store.loadAccount('acc-http')).toBeUndefined();

    await store.put({ ...record, decision: 'review' });
    expect((await store.get('tx-http'))?.decision).toBe('review');
  });

  it('namespaces keys by the prefix with hash tags', async () => {
    await store.commit([terminal('term-1', 1)], [account('acc-1', 1, ['tx-1']), account('we{ird}%', 1, ['t{x}'])]);
    const keys = (await admin.keys(`${prefix}:*`)).map((k) => k.slice(prefix.length)).sort();
    expect(keys).toEqual(
      [
        ':{a:acc-1}:snap',
        ':{a:acc-1}:dec:tx-1',
        ':{t:term-1}:snap',
        ':txidx:tx-1',
        ':{a:we%7Bird%7D%25}:snap',
        ':{a:we%7Bird%7D%25}:dec:t%7Bx%7D',
        ':txidx:t%7Bx%7D',
      ].sort(),
    );
    for (const key of keys.filter((k) => !k.startsWith(':txidx:'))) expect(key).toMatch(/^:\{[at]:[^{}]+\}:(snap|dec:.+)$/);
    // The account's keys share one slot.
    const [snapSlot, decSlot] = await Promise.all([
      admin.call('CLUSTER', 'KEYSLOT', store.keys.accountSnapshot('acc-1')).catch(() => null),
      admin.call('CLUSTER', 'KEYSLOT', store.keys.decision('acc-1', 'tx-1')).catch(() => null),
    ]);
    if (snapSlot !== null) expect(decSlot).toBe(snapSlot);
    expect(await store.get('t{x}')).toEqual(decision('we{ird}%', 't{x}'));

    expect(() => open({ prefix: 'bad{prefix}' })).toThrow(RangeError);
    expect(() => open({ prefix: '' })).toThrow(RangeError);
    expect(() => open({ decisionRetentionSeconds: 0 })).toThrow(RangeError);
  });

  it('answers ping and reports readiness', async () => {
    const statuses: StateStoreStatus[] = [];
    const s = open({ onStatus: (st) => statuses.push(st) });
    expect(await s.ping()).toBe(true);
    expect(s.isUp()).toBe(true);
    expect(statuses).toEqual(['ready']);
    await s.close();
    expect(s.isUp()).toBe(false);
    expect(await s.ping()).toBe(false);
    await expect(s.loadAccount('a1')).rejects.toBeInstanceOf(StateStoreUnavailableError);
    await s.close(); // idempotent
  });

  it('fails fast when Redis is unreachable', async () => {
    const statuses: StateStoreStatus[] = [];
    const s = open({ url: 'redis://127.0.0.1:1', onStatus: (st) => statuses.push(st) });

    const started = performance.now();
    expect(await s.ping()).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.isUp()).toBe(false);

    const ops: (() => Promise<unknown>)[] = [
      () => s.commit([terminal('t1', 1)], [account('a1', 1, ['tx1'])]),
      () => s.loadAccount('a1'),
      () => s.loadTerminal('t1'),
      () => s.loadMany(['a1'], ['t1']),
      () => s.get('tx1'),
      () => s.put(decision('a1', 'tx1')),
    ];
    for (const op of ops) {
      const error = await rejectsWithin(op(), 2000);
      expect(error).toBeInstanceOf(StateStoreUnavailableError);
      expect((error as StateStoreUnavailableError).code).toBe('STATE_STORE_UNAVAILABLE');
    }
    await expect(s.connect()).rejects.toBeInstanceOf(StateStoreUnavailableError);
    expect(statuses).toEqual(['down']);
    await s.flush();
    const closing = performance.now();
    await s.close();
    expect(performance.now() - closing).toBeLessThan(500);
  });

  it('notices Redis going away, fails fast while it is gone, and resumes when it is back', async () => {
    const proxy = await startProxy();
    const statuses: StateStoreStatus[] = [];
    const s = open({ url: `redis://127.0.0.1:${proxy.port}`, onStatus: (st) => statuses.push(st) });
    await s.commit([], [account('a1', 1, ['tx1'])]);
    expect(statuses).toEqual(['ready']);

    await proxy.stop();
    await waitFor('down', () => statuses.includes('down'));
    expect(s.isUp()).toBe(false);
    expect(await s.ping()).toBe(false);
    expect(await rejectsWithin(s.commit([], [account('a1', 2, ['tx2'])]), 2000)).toBeInstanceOf(StateStoreUnavailableError);
    expect(await rejectsWithin(s.loadAccount('a1'), 2000)).toBeInstanceOf(StateStoreUnavailableError);

    const back = await startProxy(proxy.port);
    try {
      await waitFor('reconnect', () => s.isUp());
      expect(statuses).toEqual(['ready', 'down', 'ready']);
      await s.commit([], [account('a1', 2, ['tx2'])]);
      expect(await s.loadAccount('a1')).toEqual(account('a1', 2).snapshot);
      expect(await s.get('tx2')).toEqual(decision('a1', 'tx2'));
    } finally {
      await s.close();
      await back.stop();
    }
  });

  it('times out instead of hanging when Redis stops answering', async () => {
    const proxy = await startProxy();
    const s = open({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 300 });
    try {
      await s.connect();
      proxy.freeze();
      expect(await rejectsWithin(s.commit([], [account('a1', 1, ['tx1'])]), 2000)).toBeInstanceOf(StateStoreUnavailableError);
      expect(await rejectsWithin(s.loadMany(['a1'], ['t1']), 2000)).toBeInstanceOf(StateStoreUnavailableError);
      expect(await s.ping()).toBe(false);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it('fails the commands in flight at once when the connection drops', async () => {
    const proxy = await startProxy();
    const s = open({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 10_000 });
    try {
      await s.connect();
      proxy.freeze();
      const inFlight = s.commit([], [account('a1', 1, ['tx1'])]);
      await new Promise((r) => setTimeout(r, 50));
      await proxy.stop();
      expect(await rejectsWithin(inFlight, 1000)).toBeInstanceOf(StateStoreUnavailableError);
    } finally {
      await s.close();
    }
  });

  it('commits 256 accounts and 256 terminals in one call', async () => {
    const terminals = Array.from({ length: 256 }, (_, i) => terminal(`t${i}`, 100 + i));
    const accounts = Array.from({ length: 256 }, (_, i) => account(`a${i}`, 100 + i, [`tx-${i}`]));
    await store.commit(terminals, accounts);
    const { accounts: a, terminals: t } = await store.loadMany(
      accounts.map((x) => x.accountId),
      terminals.map((x) => x.terminalId),
    );
    expect(a.size).toBe(256);
    expect(t.size).toBe(256);
    expect(a.get('a255')?.seq).toBe(355);
    expect(await store.get('tx-128')).toEqual(decision('a128', 'tx-128'));
  });
});
