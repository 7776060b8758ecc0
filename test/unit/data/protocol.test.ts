import { describe, expect, it } from 'vitest';
import type { BookRow } from '../../../src/data/book-row.js';
import { parseBookDatetime } from '../../../src/data/csv-reader.js';
import { bookSplit, selectTestSet, selectTrainSet, splitDay, splitTimeDays } from '../../../src/data/protocol.js';
import { Rng } from '../../../src/domain/random.js';

const DAY = 86_400_000;
const row = (txId: string, datetime: string, accountId = 'x', fraud: 0 | 1 = 0): BookRow => ({
  txId, timestampMs: parseBookDatetime(datetime)!, accountId, terminalId: 't', amount: 1,
  timeSeconds: 0, timeDays: 0, fraud, scenario: fraud,
});

describe('bookSplit', () => {
  it('defaults to the book: train 2018-07-25 + 7 d, 7 d delay, test 2018-08-08 + 7 d', () => {
    const s = bookSplit();
    expect(s).toEqual({
      trainStartMs: Date.UTC(2018, 6, 25), trainEndMs: Date.UTC(2018, 7, 1),
      testStartMs: Date.UTC(2018, 7, 8), testEndMs: Date.UTC(2018, 7, 15), trainDays: 7, delayDays: 7, testDays: 7,
    });
    // TX_TIME_DAYS counts from 2018-04-01: 30 (Apr) + 31 (May) + 30 (Jun) + 24 = day 115
    expect(splitTimeDays(s)).toEqual({ train: [115, 122], test: [129, 136] });
    expect(splitTimeDays(s, '2018-07-01')).toEqual({ train: [24, 31], test: [38, 45] });
    expect(splitDay(s, Date.UTC(2018, 7, 8, 23, 59))).toBe(14);
    expect(splitDay(s, Date.UTC(2018, 6, 24, 23, 59))).toBe(-1);
  });

  it('honours options and rejects bad ones', () => {
    const s = bookSplit({ trainStart: '2018-05-01', trainDays: 3, delayDays: 0, testDays: 2 });
    expect([s.trainEndMs, s.testStartMs, s.testEndMs]).toEqual([Date.UTC(2018, 4, 4), Date.UTC(2018, 4, 4), Date.UTC(2018, 4, 6)]);
    expect(() => bookSplit({ trainStart: '2018-07-25 12:00:00' })).toThrow(RangeError);
    expect(() => bookSplit({ trainStart: 'July 25' })).toThrow(RangeError);
    expect(() => bookSplit({ trainDays: 0 })).toThrow(RangeError);
    expect(() => bookSplit({ delayDays: -1 })).toThrow(RangeError);
    expect(() => bookSplit({ testDays: 1.5 })).toThrow(RangeError);
  });
});

describe('selectTrainSet', () => {
  it('keeps [trainStart, trainStart + trainDays) in input order', () => {
    const rows = [
      row('in-last', '2018-07-31 23:59:59'), row('before', '2018-07-24 23:59:59'), row('in-first', '2018-07-25 00:00:00'),
      row('after', '2018-08-01 00:00:00'),
    ];
    expect(selectTrainSet(rows, bookSplit())).toEqual([0, 2]);
  });
});

describe('selectTestSet', () => {
  // Train 07-25..07-31, delay 08-01..08-07, test days 0..6 = 08-08..08-14.
  // Test day i removes cards with fraud up to day trainStart + 7 + i − 1 = (test day − 8).
  const rows = [
    row('T-train', '2018-07-28 10:00:00', 'T', 1), // fraud in training → removed on all test days
    row('T0', '2018-08-08 01:00:00', 'T'), row('T3', '2018-08-11 01:00:00', 'T'), row('T6', '2018-08-14 23:59:59', 'T'),
    row('F1-fraud', '2018-08-01 12:00:00', 'F1', 1), // first delay day = 08-09 − 8 → known from test day 1
    row('F1-d0', '2018-08-08 02:00:00', 'F1'), row('F1-d1', '2018-08-09 02:00:00', 'F1'),
    row('M8-fraud', '2018-08-02 12:00:00', 'M8', 1), // = 08-10 − 8 → known from test day 2 (08-10), not before
    row('M8-d1', '2018-08-09 03:00:00', 'M8'), row('M8-d2', '2018-08-10 03:00:00', 'M8'), row('M8-d5', '2018-08-13 03:00:00', 'M8'),
    row('M7-fraud', '2018-08-03 12:00:00', 'M7', 1), // = 08-10 − 7 → NOT removed on 08-10; removed from 08-11
    row('M7-d2', '2018-08-10 04:00:00', 'M7'), row('M7-d3', '2018-08-11 04:00:00', 'M7'),
    row('D-fraud', '2018-08-07 12:00:00', 'D', 1), // last delay day = 08-15 − 8 → after the test period: never removed
    row('D-d6', '2018-08-14 05:00:00', 'D'),
    row('L-d1', '2018-08-09 06:00:00', 'L', 1), row('L-d4', '2018-08-12 06:00:00', 'L', 1), // test-period fraud stays
    row('B-fraud', '2018-07-20 12:00:00', 'B', 1), row('B-d0', '2018-08-08 07:00:00', 'B'), // before training: ignored
    row('N-d0', '2018-08-08 00:00:00', 'N'), row('N-after', '2018-08-15 00:00:00', 'N'), row('N-delay', '2018-08-05 00:00:00', 'N'),
  ];

  it('removes known-compromised cards exactly as the book does', () => {
    const res = selectTestSet(rows, bookSplit());
    const kept = res.indices.map((i, k) => `${rows[i]!.txId}@${res.testDay[k]}`);
    expect(kept).toEqual([
      'F1-d0@0', // F1 known only from test day 1
      'M8-d1@1', // M8 known only from test day 2
      'M7-d2@2', // fraud on test day − 7 is not yet known
      'D-d6@6', 'L-d1@1', 'L-d4@4', 'B-d0@0', 'N-d0@0',
    ]);
    // T0, T3, T6, F1-d1, M8-d2, M8-d5, M7-d3
    expect(res.removed).toBe(7);
  });

  it('matches a direct transcription of the book loop on random data', () => {
    const rng = new Rng(3);
    const split = bookSplit({ trainStart: '2018-07-25', trainDays: 3, delayDays: 2, testDays: 5 });
    const start = Date.UTC(2018, 6, 23);
    const data: BookRow[] = Array.from({ length: 3000 }, (_, i) => ({
      txId: String(i), timestampMs: start + Math.floor(rng.next() * 14 * DAY), accountId: `c${Math.floor(rng.next() * 60)}`,
      terminalId: 't', amount: 1, timeSeconds: 0, timeDays: 0, fraud: rng.next() < 0.03 ? 1 : 0, scenario: 0,
    }));
    // get_train_test_set, with TX_TIME_DAYS replaced by the UTC day relative to trainStart
    const day = (r: BookRow) => Math.floor((r.timestampMs - split.trainStartMs) / DAY);
    const known = new Set(data.filter((r) => day(r) >= 0 && day(r) < 3 && r.fraud === 1).map((r) => r.accountId));
    const expected: string[] = [];
    for (let d = 0; d < 5; d++) {
      for (const r of data.filter((x) => day(x) === 3 - 1 + d && x.fraud === 1)) known.add(r.accountId);
      for (const r of data.filter((x) => day(x) === 3 + 2 + d && !known.has(x.accountId))) expected.push(`${r.txId}@${d}`);
    }
    const res = selectTestSet(data, split);
    const got = res.indices.map((i, k) => `${data[i]!.txId}@${res.testDay[k]}`);
    expect(got.sort()).toEqual(expected.sort());
    expect(got.length).toBeGreaterThan(100);
    expect(res.removed).toBeGreaterThan(10);
  });
});
