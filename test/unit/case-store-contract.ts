/**
 * The behavioural contract of a CaseStore, run against every implementation
 * (test/unit/case-store.test.ts: in memory; test/integration/redis-case-store.test.ts:
 * Redis). Call `caseStoreContract` inside a describe block; `make` returns a
 * fresh, empty store for each test (the caller closes it).
 */
import { beforeEach, expect, it } from 'vitest';
import { CaseStoreRejectedError, InvalidCaseQueryError, type AuditCaps, type CaseQuery, type CaseStore } from '../../src/adapters/case-store.js';
import { assignCase, resolveCase, type AuditEntry, type CaseRecord } from '../../src/domain/case.js';

const BASE = Date.parse('2024-05-01T00:00:00.000Z');

export function iso(minutes: number): string {
  return new Date(BASE + minutes * 60_000).toISOString();
}

export function makeCase(id: string, over: Partial<CaseRecord> = {}): CaseRecord {
  return {
    id,
    txId: id,
    accountId: 'acc-1',
    terminalId: 'term-1',
    amount: 125.5,
    currency: 'EUR',
    timestamp: iso(0),
    decision: 'review',
    score: 0.5,
    reasons: [{ code: 'SCORE', detail: 'score 0.5 above review threshold' }],
    features: { amount: 125.5, acct_tx_1d: 4 },
    modelVersion: 'mlp-v1',
    status: 'open',
    version: 0,
    openedAt: iso(0),
    assignee: null,
    assignedAt: null,
    verdict: null,
    note: null,
    resolvedBy: null,
    resolvedAt: null,
    ...over,
  };
}

/** 25 cases with tied scores, null scores, tied timestamps, three accounts and both decisions. */
export function dataset(): CaseRecord[] {
  return Array.from({ length: 25 }, (_, i) =>
    makeCase(`tx-${String(i).padStart(2, '0')}`, {
      score: i % 6 === 0 ? null : [0.9, 0.5, 0.5, 0.25, 0.75][i % 5] as number,
      timestamp: iso(Math.floor(i / 2) * 10),
      accountId: `acc-${i % 3}`,
      decision: i % 4 === 0 ? 'block' : 'review',
    }),
  );
}

/** The expected order of a score listing, independently of the stores' encoding. */
export function byScore(a: CaseRecord, b: CaseRecord): number {
  return (b.score ?? -1) - (a.score ?? -1) || Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function byTime(a: CaseRecord, b: CaseRecord): number {
  return Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

const ids = (cases: readonly CaseRecord[]) => cases.map((c) => c.id);

/** Every page of a listing (asserting the page size), in order. */
export async function listAll(store: CaseStore, q: Omit<CaseQuery, 'cursor'>): Promise<{ items: CaseRecord[]; pages: number }> {
  const items: CaseRecord[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.list(cursor === undefined ? q : { ...q, cursor });
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(q.limit);
    if (page.nextCursor !== null) expect(page.items.length).toBe(q.limit);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    cursor = page.nextCursor;
    if (pages > 1000) throw new Error('pagination does not end');
  }
}

function audit(at: number, target: string, action = 'assign'): AuditEntry {
  return { at: iso(at), actor: 'alice', role: 'analyst', action, target, detail: { n: at } };
}

export function caseStoreContract(make: (caps?: AuditCaps) => Promise<CaseStore>): void {
  let store: CaseStore;

  beforeEach(async () => {
    store = await make();
  });

  const openAll = async (cases: readonly CaseRecord[]) => {
    for (const c of cases) expect(await store.open(c)).toBe(true);
  };

  it('opens idempotently by id and reads a case back', async () => {
    const c = makeCase('tx-1');
    expect(await store.open(c)).toBe(true);
    expect(await store.open({ ...c, amount: 999, note: 'other' })).toBe(false);
    expect(await store.get('tx-1')).toEqual(c);
    expect(await store.get('tx-unknown')).toBeUndefined();

    // Reads are copies: changing one changes nothing stored.
    const read = (await store.get('tx-1')) as { amount: number };
    read.amount = 1;
    expect(await store.get('tx-1')).toEqual(c);

    // Ids with characters that matter to Redis keys.
    const odd = makeCase('tx {a}|%7B:*', { score: null });
    expect(await store.open(odd)).toBe(true);
    expect(await store.get('tx {a}|%7B:*')).toEqual(odd);
    expect(ids((await store.list({ sort: 'score', limit: 10 })).items)).toEqual(['tx-1', 'tx {a}|%7B:*']);
  });

  it('rejects invalid cases', async () => {
    await expect(store.open(makeCase(''))).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.open(makeCase('x', { timestamp: 'yesterday' }))).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.open(makeCase('x', { score: Number.NaN }))).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.open(makeCase('x', { status: 'resolved' }))).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.open(makeCase('x', { status: 'closed' as never }))).rejects.toBeInstanceOf(CaseStoreRejectedError);
    expect(await store.get('x')).toBeUndefined();
  });

  it('lists by score, highest first (null last, ties by newest), 25 cases in pages of 10', async () => {
    const cases = dataset();
    await openAll(cases);
    const expected = [...cases].sort(byScore);
    expect(expected.at(-1)?.score).toBeNull();

    const first = await store.list({ sort: 'score', limit: 10 });
    expect(ids(first.items)).toEqual(ids(expected.slice(0, 10)));
    expect(first.nextCursor).toEqual(expect.any(String));

    const { items, pages } = await listAll(store, { sort: 'score', limit: 10 });
    expect(pages).toBe(3);
    expect(ids(items)).toEqual(ids(expected));
    expect(items).toEqual(expected);
    expect(new Set(ids(items)).size).toBe(25);

    const open = await listAll(store, { status: 'open', sort: 'score', limit: 10 });
    expect(ids(open.items)).toEqual(ids(expected));
    expect((await store.list({ status: 'assigned', sort: 'score', limit: 10 })).items).toEqual([]);

    // A page that ends exactly at the end has no cursor.
    expect((await store.list({ sort: 'score', limit: 25 })).nextCursor).toBeNull();
    const exact = await store.list({ sort: 'score', limit: 200 });
    expect(exact.items).toHaveLength(25);
    expect(exact.nextCursor).toBeNull();
  });

  it('lists by time, newest first, in pages', async () => {
    const cases = dataset();
    await openAll(cases);
    const { items, pages } = await listAll(store, { sort: 'time', limit: 10 });
    expect(pages).toBe(3);
    expect(ids(items)).toEqual(ids([...cases].sort(byTime)));
  });

  it('keeps pagination stable while cases arrive between pages', async () => {
    const cases = dataset();
    await openAll(cases);
    const expected = [...cases].sort(byScore);

    const p1 = await store.list({ sort: 'score', limit: 10 });
    // One that sorts before the cursor (never shown now), one after it (shown later), one among the tied nulls.
    await store.open(makeCase('new-high', { score: 0.99, timestamp: iso(1000) }));
    await store.open(makeCase('new-low', { score: 0.01, timestamp: iso(1000) }));
    await store.open(makeCase('new-null', { score: null, timestamp: iso(-1) }));
    const p2 = await store.list({ sort: 'score', limit: 10, cursor: p1.nextCursor as string });
    await store.open(makeCase('newer-high', { score: 1, timestamp: iso(2000) }));
    const rest = [...p2.items];
    let cursor = p2.nextCursor;
    while (cursor !== null) {
      const p = await store.list({ sort: 'score', limit: 10, cursor });
      rest.push(...p.items);
      cursor = p.nextCursor;
    }
    const seen = [...ids(p1.items), ...ids(rest)];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => !id.startsWith('new'))).toEqual(ids(expected));
    expect(seen).not.toContain('new-high');
    expect(seen).not.toContain('newer-high');
    expect(seen).toContain('new-low');
    expect(seen).toContain('new-null');
    expect(seen.indexOf('new-low')).toBeLessThan(seen.indexOf('new-null'));

    // Time listing: a newer case arriving between pages does not shift the rest.
    const t1 = await store.list({ sort: 'time', limit: 7 });
    await store.open(makeCase('new-newest', { timestamp: iso(9999) }));
    const t2 = await store.list({ sort: 'time', limit: 7, cursor: t1.nextCursor as string });
    const all = await listAll(store, { sort: 'time', limit: 200 });
    expect(ids([...t1.items, ...t2.items])).toEqual(ids(all.items.filter((c) => c.id !== 'new-newest').slice(0, 14)));
  });

  it('filters by decision, account and time range [from, to), with pagination', async () => {
    const cases = dataset();
    await openAll(cases);

    const block = await listAll(store, { decision: 'block', sort: 'score', limit: 2 });
    expect(ids(block.items)).toEqual(ids(cases.filter((c) => c.decision === 'block').sort(byScore)));
    expect(block.items.length).toBeGreaterThan(2);

    const acc = await listAll(store, { accountId: 'acc-1', sort: 'time', limit: 3 });
    expect(ids(acc.items)).toEqual(ids(cases.filter((c) => c.accountId === 'acc-1').sort(byTime)));

    const from = iso(30);
    const to = iso(90);
    const inRange = (c: CaseRecord) => c.timestamp >= from && c.timestamp < to;
    for (const sort of ['score', 'time'] as const) {
      const range = await listAll(store, { from, to, sort, limit: 4 });
      expect(ids(range.items)).toEqual(ids(cases.filter(inRange).sort(sort === 'score' ? byScore : byTime)));
      expect(range.items.some((c) => c.timestamp === from)).toBe(true);
      expect(range.items.some((c) => c.timestamp === to)).toBe(false);

      const combined = await listAll(store, { from, decision: 'review', accountId: 'acc-2', status: 'open', sort, limit: 1 });
      const want = cases.filter((c) => c.timestamp >= from && c.decision === 'review' && c.accountId === 'acc-2');
      expect(ids(combined.items)).toEqual(ids(want.sort(sort === 'score' ? byScore : byTime)));

      expect((await store.list({ to: iso(0), sort, limit: 10 })).items).toEqual([]);
      expect((await store.list({ from: to, to: from, sort, limit: 10 })).items).toEqual([]);
      expect((await store.list({ accountId: 'nobody', sort, limit: 10 })).items).toEqual([]);
    }

    // A time range as a cursor bound: only the older part once past `to`.
    const onlyOld = await listAll(store, { to: iso(20), sort: 'time', limit: 2 });
    expect(ids(onlyOld.items)).toEqual(ids(cases.filter((c) => c.timestamp < iso(20)).sort(byTime)));
  });

  it('scans far for a rare match without losing the cursor', async () => {
    const many = Array.from({ length: 450 }, (_, i) =>
      makeCase(`bulk-${String(i).padStart(3, '0')}`, {
        score: (i % 100) / 100,
        accountId: i % 150 === 7 ? 'rare' : 'common',
        decision: i % 50 === 0 ? 'block' : 'review',
      }),
    );
    await openAll(many);
    const rare = await listAll(store, { accountId: 'rare', sort: 'score', limit: 1 });
    expect(ids(rare.items)).toEqual(ids(many.filter((c) => c.accountId === 'rare').sort(byScore)));
    expect(rare.pages).toBe(3);
    // A dense filter: pages and internal batches end on matching items.
    for (const limit of [200, 37]) {
      const dense = await listAll(store, { decision: 'review', sort: 'score', limit });
      expect(ids(dense.items)).toEqual(ids(many.filter((c) => c.decision === 'review').sort(byScore)));
    }
  });

  it('refuses invalid queries and foreign cursors', async () => {
    await openAll(dataset());
    const bad: CaseQuery[] = [
      { sort: 'score', limit: 0 },
      { sort: 'score', limit: 201 },
      { sort: 'score', limit: 1.5 },
      { sort: 'amount' as never, limit: 10 },
      { sort: 'time', limit: 10, from: 'not a time' },
      { sort: 'time', limit: 10, status: 'closed' as never },
      { sort: 'time', limit: 10, decision: 'maybe' as never },
      { sort: 'time', limit: 10, cursor: 'garbage!' },
      { sort: 'time', limit: 10, cursor: Buffer.from('{"s":"time","k":"x"}').toString('base64url') },
    ];
    for (const q of bad) await expect(store.list(q), JSON.stringify(q)).rejects.toBeInstanceOf(InvalidCaseQueryError);
    const scoreCursor = (await store.list({ sort: 'score', limit: 5 })).nextCursor as string;
    await expect(store.list({ sort: 'time', limit: 5, cursor: scoreCursor })).rejects.toBeInstanceOf(InvalidCaseQueryError);
    await expect(store.resolved(scoreCursor, 5)).rejects.toBeInstanceOf(InvalidCaseQueryError);
    await expect(store.resolved(null, 0)).rejects.toBeInstanceOf(InvalidCaseQueryError);
  });

  it('updates by compare-and-set: exactly one of two concurrent updates wins', async () => {
    const c = makeCase('tx-1');
    await store.open(c);
    const results = await Promise.all([
      store.update(assignCase(c, 'alice', iso(1)), 0),
      store.update(assignCase(c, 'bob', iso(1)), 0),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = (await store.get('tx-1')) as CaseRecord;
    expect(stored.version).toBe(1);
    expect(stored.status).toBe('assigned');
    expect(stored.assignee).toBe(results[0] ? 'alice' : 'bob');

    // Many racers, one winner.
    const racers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.update(resolveCase(stored, `analyst-${i}`, 'fraud', null, iso(2)), 1)),
    );
    expect(racers.filter(Boolean)).toHaveLength(1);
    const resolved = (await store.get('tx-1')) as CaseRecord;
    expect(resolved.version).toBe(2);
    expect(resolved.resolvedBy).toBe(`analyst-${racers.indexOf(true)}`);

    // A stale version loses; nothing changes.
    expect(await store.update({ ...assignCase(c, 'carol', iso(3)) }, 0)).toBe(false);
    expect(await store.get('tx-1')).toEqual(resolved);
    // No such case: nothing to set.
    expect(await store.update(assignCase(makeCase('tx-none'), 'alice', iso(1)), 0)).toBe(false);
    expect(await store.get('tx-none')).toBeUndefined();
    // The new version must follow the expected one.
    await expect(store.update({ ...resolved, note: 'x' }, 2)).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.update({ ...resolved, version: 5 }, 2)).rejects.toBeInstanceOf(CaseStoreRejectedError);
    await expect(store.update({ ...resolved, version: 3, status: 'resolved', resolvedAt: null }, 2)).rejects.toBeInstanceOf(CaseStoreRejectedError);
    expect(await store.get('tx-1')).toEqual(resolved);
  });

  it('moves cases between the status queues', async () => {
    const cases = dataset();
    await openAll(cases);
    const [a, b, c] = [...cases].sort(byScore) as [CaseRecord, CaseRecord, CaseRecord];
    expect(await store.update(assignCase(a, 'alice', iso(500)), 0)).toBe(true);
    expect(await store.update(assignCase(b, 'bob', iso(500)), 0)).toBe(true);
    const bAssigned = (await store.get(b.id)) as CaseRecord;
    expect(await store.update(resolveCase(bAssigned, 'bob', 'legit', 'known customer', iso(501)), 1)).toBe(true);
    expect(await store.update(resolveCase(c, 'carol', 'fraud', null, iso(502)), 0)).toBe(true);

    const open = await listAll(store, { status: 'open', sort: 'score', limit: 10 });
    expect(open.items).toHaveLength(22);
    expect(ids(open.items)).not.toContain(a.id);
    expect(ids(open.items)).not.toContain(b.id);
    expect(ids(open.items)).not.toContain(c.id);
    expect(ids((await listAll(store, { status: 'assigned', sort: 'time', limit: 10 })).items)).toEqual([a.id]);
    expect(ids((await listAll(store, { status: 'resolved', sort: 'score', limit: 1 })).items)).toEqual([b.id, c.id]);
    // 'any' still has all of them, each once, with their new state.
    const all = await listAll(store, { sort: 'score', limit: 10 });
    expect(ids(all.items)).toEqual(ids([...cases].sort(byScore)));
    expect(all.items.find((x) => x.id === b.id)).toMatchObject({ status: 'resolved', verdict: 'legit', version: 2 });

    // A case leaving the queue between pages is not shown, the others neither repeat nor go missing.
    const p1 = await store.list({ status: 'open', sort: 'score', limit: 10 });
    const leaving = open.items[15] as CaseRecord;
    expect(await store.update(assignCase(leaving, 'dave', iso(600)), 0)).toBe(true);
    const rest = await store.list({ status: 'open', sort: 'score', limit: 20, cursor: p1.nextCursor as string });
    expect(ids([...p1.items, ...rest.items])).toEqual(ids(open.items.filter((x) => x.id !== leaving.id)));
  });

  it('appends to the audit trail and reads it newest first, per target', async () => {
    expect(await store.audit()).toEqual([]);
    expect(await store.audit('tx-1')).toEqual([]);
    for (let i = 0; i < 6; i++) await store.appendAudit(audit(i, i % 2 === 0 ? 'tx-1' : 'acc-9', `action-${i}`));
    const trail = await store.audit();
    expect(trail.map((e) => e.action)).toEqual(['action-5', 'action-4', 'action-3', 'action-2', 'action-1', 'action-0']);
    expect(trail[0]).toEqual(audit(5, 'acc-9', 'action-5'));
    expect((await store.audit('tx-1')).map((e) => e.action)).toEqual(['action-4', 'action-2', 'action-0']);
    expect((await store.audit('acc-9', 2)).map((e) => e.action)).toEqual(['action-5', 'action-3']);
    expect((await store.audit(undefined, 1)).map((e) => e.action)).toEqual(['action-5']);
    await expect(store.audit(undefined, 0)).rejects.toBeInstanceOf(InvalidCaseQueryError);
    await expect(store.audit(undefined, 1001)).rejects.toBeInstanceOf(InvalidCaseQueryError);
    await expect(store.audit('')).rejects.toBeInstanceOf(InvalidCaseQueryError);
    await expect(store.appendAudit({ ...audit(9, 'x'), target: '' })).rejects.toBeInstanceOf(CaseStoreRejectedError);
    expect(await store.audit()).toHaveLength(6);
  });

  it('caps the audit trail, the whole and per target', async () => {
    await store.close();
    store = await make({ auditCap: 5, auditTargetCap: 2 });
    for (let i = 0; i < 8; i++) await store.appendAudit(audit(i, i < 4 ? 'a' : 'b'));
    expect((await store.audit()).map((e) => e.at)).toEqual([7, 6, 5, 4, 3].map(iso));
    expect((await store.audit('a')).map((e) => e.at)).toEqual([3, 2].map(iso));
    expect((await store.audit('b')).map((e) => e.at)).toEqual([7, 6].map(iso));
  });

  it('pages resolved cases oldest resolution first; later resolutions come after the cursor', async () => {
    const cases = dataset();
    await openAll(cases);
    expect(await store.resolved(null, 10)).toEqual({ items: [], nextCursor: null });
    // Resolve 12 cases, in an order unrelated to their ids, scores or times; two at the same instant.
    const order = [7, 3, 19, 0, 24, 11, 5, 16, 2, 21, 9, 14];
    for (const [n, i] of order.entries()) {
      const c = cases[i] as CaseRecord;
      expect(await store.update(resolveCase(c, 'alice', n % 2 ? 'fraud' : 'legit', null, iso(1000 + Math.min(n, 10))), 0)).toBe(true);
    }
    const expectedOrder = order.map((i) => (cases[i] as CaseRecord).id);
    // Same resolvedAt (the last two): by id.
    const tail = expectedOrder.splice(10).sort();
    expectedOrder.push(...tail);

    const p1 = await store.resolved(null, 5);
    expect(ids(p1.items)).toEqual(expectedOrder.slice(0, 5));
    expect(p1.items.every((c) => c.status === 'resolved' && c.verdict !== null)).toBe(true);
    const p2 = await store.resolved(p1.nextCursor, 5);
    expect(ids(p2.items)).toEqual(expectedOrder.slice(5, 10));
    // Resolved after the export started: appears at the end.
    const late = cases[1] as CaseRecord;
    expect(await store.update(resolveCase(late, 'bob', 'fraud', null, iso(5000)), 0)).toBe(true);
    const p3 = await store.resolved(p2.nextCursor, 5);
    expect(ids(p3.items)).toEqual([...expectedOrder.slice(10), late.id]);
    expect(p3.nextCursor).toBeNull();

    const everything: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<CaseStore['resolved']>> = await store.resolved(cursor, 4);
      everything.push(...ids(page.items));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(everything).toEqual([...expectedOrder, late.id]);
  });
}
