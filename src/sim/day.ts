/**
 * One simulated day of transactions, in columns, sorted by time of day
 * (ties in generation order).
 */
import type { Rng } from '../domain/random.js';
import { SECONDS_PER_DAY } from './options.js';
import type { Profiles } from './profiles.js';

export interface SimDay {
  /** TX_TIME_DAYS of every transaction of this day. */
  readonly day: number;
  /** TRANSACTION_ID of the first transaction; set when the day is final. */
  firstId: number;
  readonly count: number;
  readonly customer: Int32Array;
  readonly terminal: Int32Array;
  /** Seconds since the start of this day, in (0, 86400). */
  readonly seconds: Int32Array;
  /** Final TX_AMOUNT in cents (after scenario 3). */
  readonly cents: Float64Array;
  /** Amount in cents as generated, before any scenario. */
  readonly baseCents: Float64Array;
  /** TX_FRAUD_SCENARIO (0 = legitimate); TX_FRAUD = scenario > 0. */
  readonly scenario: Uint8Array;
}

/** Reusable growable columns for one day's raw (unsorted) transactions. */
export class DayScratch {
  customer = new Int32Array(1024);
  terminal = new Int32Array(1024);
  seconds = new Int32Array(1024);
  cents = new Float64Array(1024);
  size = 0;

  push(customer: number, terminal: number, seconds: number, cents: number): void {
    if (this.size === this.customer.length) this.grow();
    const i = this.size++;
    this.customer[i] = customer;
    this.terminal[i] = terminal;
    this.seconds[i] = seconds;
    this.cents[i] = cents;
  }

  private grow(): void {
    const n = this.customer.length * 2;
    const c = new Int32Array(n);
    c.set(this.customer);
    this.customer = c;
    const t = new Int32Array(n);
    t.set(this.terminal);
    this.terminal = t;
    const s = new Int32Array(n);
    s.set(this.seconds);
    this.seconds = s;
    const a = new Float64Array(n);
    a.set(this.cents);
    this.cents = a;
  }
}

const TWO_32 = 4294967296;

/**
 * Generates the transactions of `day` exactly as the book's
 * `generate_transactions_table`, but day-major: for each customer with at
 * least one terminal, Poisson(mean_nb_tx_per_day) attempts; each draws a time
 * trunc(N(43200, 20000)) and is dropped unless 0 < t < 86400; then an amount
 * N(mean, std), redrawn U(0, 2·mean) if negative, rounded to cents; then a
 * terminal uniformly among the customer's.
 */
export function generateDay(day: number, p: Profiles, rng: Rng, scratch: DayScratch): SimDay {
  scratch.size = 0;
  const { availableStart, availableTerminals, meanAmount, stdAmount, meanTxPerDay } = p;
  for (let c = 0; c < p.customers; c++) {
    const first = availableStart[c]!;
    const nTerminals = availableStart[c + 1]! - first;
    if (nTerminals === 0) continue;
    const n = rng.poisson(meanTxPerDay[c]!);
    for (let k = 0; k < n; k++) {
      const t = Math.trunc(rng.normal(SECONDS_PER_DAY / 2, 20_000));
      if (!(t > 0 && t < SECONDS_PER_DAY)) continue;
      let amount = rng.normal(meanAmount[c]!, stdAmount[c]!);
      if (amount < 0) amount = rng.uniform(0, meanAmount[c]! * 2);
      const cents = Math.round(amount * 100);
      const terminal = availableTerminals[first + rng.int(nTerminals)]!;
      scratch.push(c, terminal, t, cents);
    }
  }
  return sortDay(day, scratch);
}

/** Copies the scratch columns into a new day, sorted by (seconds, generation order). */
function sortDay(day: number, s: DayScratch): SimDay {
  const count = s.size;
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = s.seconds[i]! * TWO_32 + i;
  keys.sort();
  const customer = new Int32Array(count);
  const terminal = new Int32Array(count);
  const seconds = new Int32Array(count);
  const cents = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const i = keys[k]! % TWO_32;
    customer[k] = s.customer[i]!;
    terminal[k] = s.terminal[i]!;
    seconds[k] = s.seconds[i]!;
    cents[k] = s.cents[i]!;
  }
  return {
    day,
    firstId: -1,
    count,
    customer,
    terminal,
    seconds,
    cents,
    baseCents: cents.slice(),
    scenario: new Uint8Array(count),
  };
}
