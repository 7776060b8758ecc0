import { describe, expect, it } from 'vitest';
import {
  SCENARIO1_THRESHOLD_CENTS,
  SCENARIO2_WINDOW_DAYS,
  SCENARIO3_WINDOW_DAYS,
  Simulation,
  newTrace,
  terminalsOf,
  type SimDay,
  type SimTrace,
} from '../../../src/sim/mod.js';

const SMALL = { customers: 200, terminals: 400, days: 40, seed: 11 };

function run(sim: Simulation): { days: SimDay[]; trace: SimTrace } {
  const trace = newTrace();
  return { days: [...sim.days(trace)], trace };
}

/** Flattened view of all transactions, in TRANSACTION_ID order. */
interface Tx {
  id: number;
  day: number;
  seconds: number;
  customer: number;
  terminal: number;
  cents: number;
  base: number;
  scenario: number;
}

function flatten(days: SimDay[]): Tx[] {
  const out: Tx[] = [];
  for (const d of days) {
    for (let i = 0; i < d.count; i++) {
      out.push({
        id: d.firstId + i,
        day: d.day,
        seconds: d.seconds[i]!,
        customer: d.customer[i]!,
        terminal: d.terminal[i]!,
        cents: d.cents[i]!,
        base: d.baseCents[i]!,
        scenario: d.scenario[i]!,
      });
    }
  }
  return out;
}

/** k such that cents = base * 5^k, or -1 if there is none. */
function multiplications(tx: Tx): number {
  let v = tx.base;
  for (let k = 0; k < 12; k++) {
    if (v === tx.cents) return k;
    v *= 5;
  }
  return -1;
}

describe('Simulation.days', () => {
  const sim = new Simulation(SMALL);
  const { days, trace } = run(sim);
  const txs = flatten(days);
  const p = sim.profiles;

  it('is deterministic per seed and restartable', () => {
    const again = flatten(run(new Simulation(SMALL)).days);
    expect(again).toEqual(txs);
    expect(flatten([...sim.days()])).toEqual(txs);
    const other = flatten(run(new Simulation({ ...SMALL, seed: 12 })).days);
    expect(other).not.toEqual(txs);
  });

  it('yields every day in order with ids 0..N-1, sorted by time within the day', () => {
    expect(days.map((d) => d.day)).toEqual(Array.from({ length: SMALL.days }, (_, i) => i));
    expect(txs.findIndex((tx, i) => tx.id !== i)).toBe(-1);
    const time = (tx: Tx): number => tx.day * 86400 + tx.seconds;
    expect(txs.findIndex((tx, i) => i > 0 && time(txs[i - 1]!) > time(tx))).toBe(-1);
    expect(txs.filter((tx) => !(tx.seconds > 0 && tx.seconds < 86400 && Number.isInteger(tx.seconds)))).toEqual([]);
  });

  it('produces about sum(lambda) * days * P(0 < t < 86400) transactions', () => {
    let lambda = 0;
    for (let c = 0; c < p.customers; c++) if (terminalsOf(p, c).length > 0) lambda += p.meanTxPerDay[c]!;
    // P(1 <= N(43200, 20000) < 86400) ≈ 0.96925
    const expected = lambda * SMALL.days * 0.96925;
    expect(Math.abs(txs.length - expected) / expected).toBeLessThan(0.03);
  });

  it('uses only terminals within r of the customer, and customers without terminals never transact', () => {
    const active = new Set<number>();
    const far = txs.filter((tx) => {
      active.add(tx.customer);
      const dx = p.terminalX[tx.terminal]! - p.customerX[tx.customer]!;
      const dy = p.terminalY[tx.terminal]! - p.customerY[tx.customer]!;
      return !(Math.hypot(dx, dy) < p.radius);
    });
    expect(far).toEqual([]);
    let lonely = 0;
    for (let c = 0; c < p.customers; c++) {
      if (terminalsOf(p, c).length === 0) {
        lonely++;
        expect(active.has(c)).toBe(false);
      }
    }
    expect(lonely).toBeGreaterThan(0); // this configuration does have some
  });

  it('draws non-negative amounts in whole cents', () => {
    const bad = txs.filter(
      (tx) => !(Number.isInteger(tx.base) && tx.base >= 0 && Number.isInteger(tx.cents) && tx.cents >= tx.base),
    );
    expect(bad).toEqual([]);
  });

  it('scenario 1: decided on the original amount > 220', () => {
    const s1 = txs.filter((tx) => tx.scenario === 1);
    expect(s1.length).toBeGreaterThan(0);
    expect(s1.filter((tx) => !(tx.base > SCENARIO1_THRESHOLD_CENTS))).toEqual([]);
    expect(txs.filter((tx) => tx.base > SCENARIO1_THRESHOLD_CENTS && tx.scenario === 0)).toEqual([]);
    expect(txs.filter((tx) => tx.scenario === 0 && (tx.base > SCENARIO1_THRESHOLD_CENTS || tx.cents !== tx.base))).toEqual(
      [],
    );
  });

  it('scenario 2: exactly the transactions on a terminal compromised within 28 days', () => {
    expect(trace.scenario2.map((e) => e.day)).toEqual(Array.from({ length: SMALL.days - 1 }, (_, i) => i));
    for (const e of trace.scenario2) {
      expect(new Set(e.terminals).size).toBe(2);
      for (const t of e.terminals) expect(t >= 0 && t < SMALL.terminals).toBe(true);
    }
    const compromised = (tx: Tx): boolean =>
      trace.scenario2.some((e) => e.day <= tx.day && tx.day < e.day + SCENARIO2_WINDOW_DAYS && e.terminals.includes(tx.terminal));
    const s2 = txs.filter((tx) => tx.scenario === 2);
    expect(s2.length).toBeGreaterThan(0);
    expect(s2.filter((tx) => !compromised(tx))).toEqual([]);
    // Every transaction on a compromised terminal is fraud 2, unless scenario 3 overwrote it.
    expect(txs.filter((tx) => compromised(tx) && tx.scenario !== 2 && tx.scenario !== 3)).toEqual([]);
  });

  it('scenario 3: a third of the compromised customers transactions in 14 days, amount x5 each time', () => {
    expect(trace.scenario3.map((e) => e.day)).toEqual(Array.from({ length: SMALL.days - 1 }, (_, i) => i));
    let selectedTotal = 0;
    for (const e of trace.scenario3) {
      expect(new Set(e.customers).size).toBe(3);
      const candidates = txs.filter(
        (tx) => tx.day >= e.day && tx.day < e.day + SCENARIO3_WINDOW_DAYS && e.customers.includes(tx.customer),
      ).length;
      expect(e.candidates).toBe(candidates);
      expect(e.selected).toBe(Math.floor(candidates / 3));
      selectedTotal += e.selected;
    }
    let multiplied = 0;
    const bad = txs.filter((tx) => {
      const k = multiplications(tx);
      multiplied += k;
      const windows = trace.scenario3.filter(
        (e) => e.day <= tx.day && tx.day < e.day + SCENARIO3_WINDOW_DAYS && e.customers.includes(tx.customer),
      ).length;
      return k < 0 || (tx.scenario === 3) !== k > 0 || k > windows;
    });
    expect(bad).toEqual([]);
    expect(selectedTotal).toBeGreaterThan(0);
    expect(multiplied).toBe(selectedTotal);
  });

  it('scenario 3 can multiply a transaction twice when windows overlap (as the book does)', () => {
    // Few customers: the same customer is often compromised on close days.
    const dense = flatten(run(new Simulation({ customers: 12, terminals: 400, days: 60, seed: 5 })).days);
    expect(dense.some((tx) => multiplications(tx) >= 2)).toBe(true);
  });

  it('streams: the first day is final after at most 14 generated days', () => {
    const t = newTrace();
    const it = new Simulation({ ...SMALL, days: 100 }).days(t);
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ day: 0, firstId: 0 });
    expect(t.scenario2.length).toBeLessThanOrEqual(SCENARIO3_WINDOW_DAYS);
    expect(t.scenario3.length).toBe(1);
    it.return(undefined);
  });

  it('a one-day simulation has no compromises (the book loops over range(max day))', () => {
    const t = newTrace();
    const one = flatten([...new Simulation({ ...SMALL, days: 1 }).days(t)]);
    expect(one.length).toBeGreaterThan(0);
    expect(t.scenario2).toHaveLength(0);
    expect(t.scenario3).toHaveLength(0);
    for (const tx of one) expect(tx.scenario === 0 || tx.scenario === 1).toBe(true);
  });

  it('rows() gives BookRow objects consistent with the columns', () => {
    const rows = [...sim.rows()];
    expect(rows).toHaveLength(txs.length);
    const start = Date.UTC(2018, 3, 1);
    const expected = txs.map((tx, i) => ({
      txId: String(i),
      timestampMs: start + (tx.day * 86400 + tx.seconds) * 1000,
      accountId: String(tx.customer),
      terminalId: String(tx.terminal),
      amount: tx.cents / 100,
      timeSeconds: tx.day * 86400 + tx.seconds,
      timeDays: tx.day,
      fraud: tx.scenario > 0 ? 1 : 0,
      scenario: tx.scenario,
    }));
    expect(rows).toEqual(expected);
  });
});
