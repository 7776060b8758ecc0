/**
 * Options, book constants and seed derivation for the transaction simulator of
 * "Reproducible Machine Learning for Credit Card Fraud Detection — Practical
 * Handbook" (Le Borgne et al., 2022), chapter 3.
 */

export interface SimulateOptions {
  /** Number of customers (cards). Book: 5,000. */
  customers: number;
  /** Number of terminals. Book: 10,000. */
  terminals: number;
  /** Number of simulated days. Book: 183. */
  days: number;
  /** Seed of every random stream (non-negative safe integer). */
  seed: number;
  /** First instant of day 0 (UTC). Book: 2018-04-01 00:00:00. */
  startDate: Date;
  /** A customer uses the terminals strictly closer than this. Book: 5. */
  radius: number;
}

/** The book's data-set size. */
export const BOOK_DEFAULTS: Readonly<SimulateOptions> = Object.freeze({
  customers: 5_000,
  terminals: 10_000,
  days: 183,
  seed: 0,
  startDate: new Date(Date.UTC(2018, 3, 1)),
  radius: 5,
});

/** Customers and terminals live on the square [0, GRID_SIZE)². */
export const GRID_SIZE = 100;
export const SECONDS_PER_DAY = 86_400;
/** Scenario 1: every amount strictly above 220 (in cents) is fraud. */
export const SCENARIO1_THRESHOLD_CENTS = 22_000;
/** Scenario 2: terminals compromised per day, and how long they stay compromised. */
export const SCENARIO2_TERMINALS_PER_DAY = 2;
export const SCENARIO2_WINDOW_DAYS = 28;
/** Scenario 3: customers compromised per day, window, and amount multiplier. */
export const SCENARIO3_CUSTOMERS_PER_DAY = 3;
export const SCENARIO3_WINDOW_DAYS = 14;
export const SCENARIO3_MULTIPLIER = 5;

/** Fills in the book defaults and validates; throws RangeError on bad values. */
export function resolveOptions(partial: Partial<SimulateOptions> = {}): SimulateOptions {
  const o: SimulateOptions = {
    customers: partial.customers ?? BOOK_DEFAULTS.customers,
    terminals: partial.terminals ?? BOOK_DEFAULTS.terminals,
    days: partial.days ?? BOOK_DEFAULTS.days,
    seed: partial.seed ?? BOOK_DEFAULTS.seed,
    startDate: new Date((partial.startDate ?? BOOK_DEFAULTS.startDate).getTime()),
    radius: partial.radius ?? BOOK_DEFAULTS.radius,
  };
  for (const key of ['customers', 'terminals', 'days'] as const) {
    const v = o[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${key} must be a positive integer, got ${v}`);
  }
  if (o.customers > 2 ** 31 - 1 || o.terminals > 2 ** 31 - 1) {
    throw new RangeError('customers and terminals must fit in 32-bit ids');
  }
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${o.seed}`);
  }
  if (!Number.isFinite(o.radius) || o.radius <= 0) {
    throw new RangeError(`radius must be a positive number, got ${o.radius}`);
  }
  const t = o.startDate.getTime();
  if (!Number.isFinite(t) || t % 1000 !== 0) {
    throw new RangeError('startDate must be a valid date on a whole second');
  }
  return o;
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Seed of one named random stream, derived from the user seed. Every part of
 * the simulation draws from its own stream, so that e.g. changing the number
 * of terminals does not shift the customer profiles or the fraud scenarios.
 */
export function deriveSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return fmix32(fmix32(fmix32(h) ^ lo) ^ hi ^ 0x5bd1e995);
}
