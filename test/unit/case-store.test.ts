/**
 * InMemoryCaseStore against the CaseStore contract (the same suite runs on
 * Redis in test/integration/redis-case-store.test.ts), plus the shared
 * ordering helpers.
 */
import { describe, expect, it } from 'vitest';
import {
  caseIndexKeys,
  compareKeys,
  decodeCursor,
  encodeCursor,
  InMemoryCaseStore,
  InvalidCaseQueryError,
  sortableHex,
} from '../../src/adapters/case-store.js';
import { caseStoreContract, makeCase } from './case-store-contract.js';

describe('InMemoryCaseStore', () => {
  caseStoreContract((caps) => Promise.resolve(new InMemoryCaseStore(caps)));

  it('checks the update version synchronously: the second of two same-version updates always loses', async () => {
    const store = new InMemoryCaseStore();
    await store.open(makeCase('tx-1'));
    const first = store.update(makeCase('tx-1', { version: 1, note: 'a' }), 0);
    const second = store.update(makeCase('tx-1', { version: 1, note: 'b' }), 0);
    expect([await first, await second]).toEqual([true, false]);
    expect((await store.get('tx-1'))?.note).toBe('a');
  });

  it('refuses bad audit caps', () => {
    expect(() => new InMemoryCaseStore({ auditCap: 0 })).toThrow(RangeError);
    expect(() => new InMemoryCaseStore({ auditTargetCap: 1.5 })).toThrow(RangeError);
  });
});

describe('case index keys', () => {
  it('orders doubles like numbers when compared as strings', () => {
    const values = [-Infinity, -1e300, -2, -1, -0.5, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 1e-9, 0.25, 0.5, 1, 2, 1e300, Infinity];
    const hex = values.map(sortableHex);
    expect(hex.every((h) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
    expect([...hex].sort()).toEqual(hex);
    expect(sortableHex(-0)).toBe(sortableHex(0));
    // Transaction times, including before 1970.
    const times = ['1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.001Z'].map((t) => sortableHex(Date.parse(t)));
    expect([...times].sort()).toEqual(times);
  });

  it('puts null scores below every real score and ties by time, then id', () => {
    const k = (id: string, score: number | null, minute: number) =>
      caseIndexKeys(makeCase(id, { score, timestamp: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString() })).score;
    const sorted = [k('a', 0, 0), k('z', null, 5), k('b', 0.5, 1), k('c', 0.5, 2), k('d', 0.5, 2)].sort(compareKeys).reverse();
    expect(sorted).toEqual([k('d', 0.5, 2), k('c', 0.5, 2), k('b', 0.5, 1), k('a', 0, 0), k('z', null, 5)]);
    expect(caseIndexKeys(makeCase('x')).resolved).toBeNull();
  });

  it('compares keys byte-wise (UTF-8), as Redis does', () => {
    // U+FF5E sorts below U+1F600 in UTF-8 (ef bd 9e < f0 9f 98 80), above it in UTF-16.
    expect(compareKeys('\uff5e', '\u{1f600}')).toBeLessThan(0);
    expect('\uff5e' < '\u{1f600}').toBe(false);
  });

  it('round-trips cursors and refuses them for another listing', () => {
    const key = caseIndexKeys(makeCase('tx|1')).time;
    expect(decodeCursor('time', encodeCursor('time', key))).toBe(key);
    expect(() => decodeCursor('resolved', encodeCursor('time', key))).toThrow(InvalidCaseQueryError);
    expect(() => decodeCursor('score', encodeCursor('time', key))).toThrow(InvalidCaseQueryError);
    expect(() => decodeCursor('time', 'eyJ')).toThrow(InvalidCaseQueryError);
  });
});
