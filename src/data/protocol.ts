/**
 * The handbook's train / delay / test protocol (`get_train_test_set`), as pure
 * functions on BookRow arrays. Days are UTC calendar days counted from the
 * training start, computed from `timestampMs`, so any file works whatever its
 * TX_TIME_DAYS origin. (The book selects test days by TX_TIME_DAYS relative to
 * the first training day; for a data set starting at 00:00 UTC, as the book's
 * does, the two agree.) Rows need not be sorted; outputs keep input order.
 */
import type { BookRow } from './book-row.js';
import { parseBookDatetime } from './csv-reader.js';

const DAY_MS = 86_400_000;

export interface BookSplitOptions {
  /** First training day, `YYYY-MM-DD` (00:00 UTC). Default '2018-07-25', TX_TIME_DAYS 115 in the book. */
  trainStart?: string;
  /** Training period length in days (default 7). */
  trainDays?: number;
  /** Delay period between training and test, in days (default 7). */
  delayDays?: number;
  /** Test period length in days (default 7). */
  testDays?: number;
}

/** Period boundaries: epoch ms at 00:00 UTC; every `*EndMs` is exclusive. */
export interface BookSplit {
  readonly trainStartMs: number;
  readonly trainEndMs: number;
  readonly testStartMs: number;
  readonly testEndMs: number;
  readonly trainDays: number;
  readonly delayDays: number;
  readonly testDays: number;
}

/** Builds the book's split (defaults: train 2018-07-25 + 7 days, 7 delay days, 7 test days). */
export function bookSplit(opts: BookSplitOptions = {}): BookSplit {
  const { trainStart = '2018-07-25', trainDays = 7, delayDays = 7, testDays = 7 } = opts;
  const trainStartMs = parseBookDatetime(trainStart);
  if (trainStartMs === undefined || trainStartMs % DAY_MS !== 0) {
    throw new RangeError(`trainStart must be a date at 00:00 UTC, got '${trainStart}'`);
  }
  for (const [name, v, min] of [['trainDays', trainDays, 1], ['delayDays', delayDays, 0], ['testDays', testDays, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  }
  const trainEndMs = trainStartMs + trainDays * DAY_MS;
  const testStartMs = trainEndMs + delayDays * DAY_MS;
  return { trainStartMs, trainEndMs, testStartMs, testEndMs: testStartMs + testDays * DAY_MS, trainDays, delayDays, testDays };
}

/** UTC day of `ms` counted from the training start (0 = first training day; negative before it). */
export function splitDay(split: BookSplit, ms: number): number {
  return Math.floor((ms - split.trainStartMs) / DAY_MS);
}

/**
 * The split's periods as TX_TIME_DAYS values, for a file whose day 0 starts at
 * `datasetStart` (epoch ms or date string; the book's is '2018-04-01').
 * Ranges are [first, end).
 */
export function splitTimeDays(
  split: BookSplit,
  datasetStart: string | number = '2018-04-01',
): { train: [number, number]; test: [number, number] } {
  const origin = typeof datasetStart === 'number' ? datasetStart : parseBookDatetime(datasetStart);
  if (origin === undefined || !Number.isFinite(origin)) throw new RangeError(`bad datasetStart '${datasetStart}'`);
  const day = (ms: number): number => Math.floor((ms - origin) / DAY_MS);
  return { train: [day(split.trainStartMs), day(split.trainEndMs)], test: [day(split.testStartMs), day(split.testEndMs)] };
}

/** Indices of the rows in the training period [trainStartMs, trainEndMs), in input order. */
export function selectTrainSet(rows: readonly BookRow[], split: BookSplit): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i]!.timestampMs;
    if (t >= split.trainStartMs && t < split.trainEndMs) out.push(i);
  }
  return out;
}

/** The test set: parallel arrays of kept row indices (input order) and their 0-based test day. */
export interface TestSet {
  readonly indices: number[];
  readonly testDay: number[];
  /** Test-period transactions dropped because their card was known to be compromised. */
  readonly removed: number;
}

/**
 * Test transactions minus known-compromised cards, exactly as the book does.
 * Known = cards with a fraud in the training period; then, for test day i
 * (date trainStart + trainDays + delayDays + i), the cards with a fraud on
 * day trainStart + trainDays + i − 1 (test day − delayDays − 1, i.e. − 8 with
 * the defaults) are added, cumulatively, and that day keeps only rows whose
 * card is not known. A fraud on test day − 7 is thus not yet known that day.
 */
export function selectTestSet(rows: readonly BookRow[], split: BookSplit): TestSet {
  const { trainDays, delayDays, testDays } = split;
  // knownFrom: card → first test day on which it is known to be compromised.
  const knownFrom = new Map<string, number>();
  for (const r of rows) {
    if (r.fraud !== 1) continue;
    const d = splitDay(split, r.timestampMs);
    if (d < 0) continue;
    const from = d < trainDays ? 0 : d - trainDays + 1; // training fraud → 0; day trainDays + i − 1 → i
    if (from >= testDays) continue;
    const prev = knownFrom.get(r.accountId);
    if (prev === undefined || from < prev) knownFrom.set(r.accountId, from);
  }
  const indices: number[] = [];
  const testDay: number[] = [];
  let removed = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const day = splitDay(split, r.timestampMs) - trainDays - delayDays;
    if (day < 0 || day >= testDays) continue;
    const from = knownFrom.get(r.accountId);
    if (from !== undefined && from <= day) { removed++; continue; }
    indices.push(i);
    testDay.push(day);
  }
  return { indices, testDay, removed };
}
