/**
 * The book's three fraud scenarios, applied in the book's order (1, 2, 3;
 * a later scenario overwrites TX_FRAUD_SCENARIO of an earlier one).
 *
 * The book loops `for day in range(TX_TIME_DAYS.max())`, so compromises start
 * on days 0 .. days-2 (none on the last day); we reproduce that.
 */
import type { Rng } from '../domain/random.js';
import {
  SCENARIO1_THRESHOLD_CENTS,
  SCENARIO2_TERMINALS_PER_DAY,
  SCENARIO2_WINDOW_DAYS,
  SCENARIO3_CUSTOMERS_PER_DAY,
  SCENARIO3_MULTIPLIER,
  SCENARIO3_WINDOW_DAYS,
} from './options.js';
import type { SimDay } from './day.js';

/** What the scenarios did; filled while a simulation is iterated (for tests and debugging). */
export interface SimTrace {
  /** Terminals compromised on `day`, for days [day, day + 28). */
  scenario2: { day: number; terminals: number[] }[];
  /** Customers compromised on `day`: `selected` of their `candidates` transactions in [day, day + 14) were ×5. */
  scenario3: { day: number; customers: number[]; candidates: number; selected: number }[];
}

export function newTrace(): SimTrace {
  return { scenario2: [], scenario3: [] };
}

/** Scenario 1: every transaction whose (original) amount is above 220 is fraud. */
export function applyScenario1(day: SimDay): void {
  const { baseCents, scenario } = day;
  for (let i = 0; i < day.count; i++) {
    if (baseCents[i]! > SCENARIO1_THRESHOLD_CENTS) scenario[i] = 1;
  }
}

/** Scenario 2: two random terminals per day are compromised for 28 days. */
export class Scenario2 {
  /** Last day each terminal was compromised on (the latest window covers the others). */
  private readonly lastCompromised: Int32Array;

  constructor(
    private readonly terminals: number,
    private readonly rng: Rng,
    private readonly trace?: SimTrace,
  ) {
    this.lastCompromised = new Int32Array(terminals).fill(-(2 ** 30));
  }

  /** Draws the terminals compromised on `day` (call in increasing day order). */
  compromise(day: number): void {
    const picked = this.rng.sampleIndices(this.terminals, Math.min(SCENARIO2_TERMINALS_PER_DAY, this.terminals));
    for (const t of picked) this.lastCompromised[t] = day;
    this.trace?.scenario2.push({ day, terminals: picked });
  }

  /** Marks the transactions of `day` on a terminal compromised in (day - 28, day]. */
  apply(day: SimDay): void {
    const { terminal, scenario } = day;
    const last = this.lastCompromised;
    for (let i = 0; i < day.count; i++) {
      const age = day.day - last[terminal[i]!]!;
      if (age >= 0 && age < SCENARIO2_WINDOW_DAYS) scenario[i] = 2;
    }
  }
}

/**
 * Scenario 3: three random customers per day are compromised; among all their
 * transactions in the next 14 days, a third (rounded down) chosen at random
 * have their amount multiplied by 5. Overlapping windows can pick (and
 * multiply) a transaction more than once, as in the book.
 */
export class Scenario3 {
  private readonly candDay: number[] = [];
  private readonly candIndex: number[] = [];

  constructor(
    private readonly customers: number,
    private readonly rng: Rng,
    private readonly trace?: SimTrace,
  ) {}

  /**
   * Applies the compromise of day `start`. `days` must hold, in order, every
   * generated day in [start, start + 14) (it may hold others).
   */
  apply(start: number, days: readonly SimDay[]): void {
    const picked = this.rng.sampleIndices(this.customers, Math.min(SCENARIO3_CUSTOMERS_PER_DAY, this.customers));
    const [c0 = -1, c1 = -1, c2 = -1] = picked;
    const candDay = this.candDay;
    const candIndex = this.candIndex;
    candDay.length = 0;
    candIndex.length = 0;
    for (let k = 0; k < days.length; k++) {
      const day = days[k]!;
      if (day.day < start || day.day >= start + SCENARIO3_WINDOW_DAYS) continue;
      const customer = day.customer;
      for (let i = 0; i < day.count; i++) {
        const c = customer[i]!;
        if (c === c0 || c === c1 || c === c2) {
          candDay.push(k);
          candIndex.push(i);
        }
      }
    }
    const n = candDay.length;
    const selected = Math.floor(n / 3);
    for (const j of this.rng.sampleIndices(n, selected)) {
      const day = days[candDay[j]!]!;
      const i = candIndex[j]!;
      day.cents[i] = day.cents[i]! * SCENARIO3_MULTIPLIER;
      day.scenario[i] = 3;
    }
    this.trace?.scenario3.push({ day: start, customers: picked, candidates: n, selected });
  }
}
