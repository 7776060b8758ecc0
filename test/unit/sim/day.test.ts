import { describe, expect, it } from 'vitest';
import type { Rng } from '../../../src/domain/random.js';
import { DayScratch, generateDay, type SimDay } from '../../../src/sim/day.js';
import { generateProfiles, resolveOptions, type Profiles } from '../../../src/sim/mod.js';
import { Scenario2, Scenario3, applyScenario1, newTrace } from '../../../src/sim/scenarios.js';

/** An Rng stand-in that replays scripted draws, to pin down the book's rules exactly. */
function scripted(draws: { poisson?: number[]; normal?: number[]; uniform?: number[]; int?: number[]; sample?: number[][] }): Rng {
  const take = <T>(list: T[] | undefined, what: string): T => {
    if (!list || list.length === 0) throw new Error(`unexpected ${what} draw`);
    return list.shift()!;
  };
  return {
    poisson: () => take(draws.poisson, 'poisson'),
    normal: () => take(draws.normal, 'normal'),
    uniform: () => take(draws.uniform, 'uniform'),
    int: () => take(draws.int, 'int'),
    sampleIndices: () => take(draws.sample, 'sampleIndices'),
  } as unknown as Rng;
}

function oneCustomer(): Profiles {
  // One customer, with the terminals around; use the real geometry of a seed.
  const p = generateProfiles(resolveOptions({ customers: 1, terminals: 2000, seed: 1 }));
  expect(p.availableStart[1]!).toBeGreaterThan(1);
  return p;
}

function day(d: number, rows: { customer?: number; terminal?: number; cents: number }[]): SimDay {
  const cents = Float64Array.from(rows.map((r) => r.cents));
  return {
    day: d,
    firstId: -1,
    count: rows.length,
    customer: Int32Array.from(rows.map((r) => r.customer ?? 0)),
    terminal: Int32Array.from(rows.map((r) => r.terminal ?? 0)),
    seconds: Int32Array.from(rows.map((_, i) => i + 1)),
    cents,
    baseCents: cents.slice(),
    scenario: new Uint8Array(rows.length),
  };
}

describe('generateDay (the book rules, with scripted draws)', () => {
  it('truncates times, drops (never redraws) times outside (0, 86400), redraws negative amounts, rounds to cents', () => {
    const p = oneCustomer();
    const rng = scripted({
      poisson: [7],
      // time, [amount] pairs; dropped times consume no amount draw
      normal: [-0.5, 0.99, 86400, 86400.5, 86399.9, 12.344, 1.2, -3, 50000, 7.005, -20000],
      uniform: [42.426],
      int: [1, 0, 1],
    });
    const d = generateDay(3, p, rng, new DayScratch());
    const terminals = p.availableTerminals.subarray(0, p.availableStart[1]);
    expect(d.day).toBe(3);
    expect(d.count).toBe(3);
    // sorted by time: 1 (amount -3 -> U(0, 2*mean) = 42.426), 50000 (7.005), 86399 (12.344)
    expect(Array.from(d.seconds)).toEqual([1, 50000, 86399]);
    expect(Array.from(d.cents)).toEqual([4243, Math.round(7.005 * 100), 1234]);
    expect(Array.from(d.terminal)).toEqual([terminals[0], terminals[1], terminals[1]]);
    expect(Array.from(d.customer)).toEqual([0, 0, 0]);
  });

  it('keeps generation order for equal times', () => {
    const p = generateProfiles(resolveOptions({ customers: 3, terminals: 3000, seed: 2 }));
    const active = [0, 1, 2].filter((c) => p.availableStart[c + 1]! > p.availableStart[c]!);
    const rng = scripted({
      poisson: active.map(() => 1),
      normal: active.flatMap((_, i) => [100, 10 + i]),
      int: active.map(() => 0),
    });
    const d = generateDay(0, p, rng, new DayScratch());
    expect(Array.from(d.customer)).toEqual(active);
  });
});

describe('scenario rules on hand-made days', () => {
  it('scenario 1 is strictly above 220.00', () => {
    const d = day(0, [{ cents: 22000 }, { cents: 22001 }, { cents: 100 }]);
    applyScenario1(d);
    expect(Array.from(d.scenario)).toEqual([0, 1, 0]);
  });

  it('scenario 2 covers [d, d + 28) and overwrites scenario 1', () => {
    const trace = newTrace();
    const s2 = new Scenario2(10, scripted({ sample: [[4, 7]] }), trace);
    s2.compromise(2);
    const rows = [{ terminal: 4, cents: 30000 }, { terminal: 7, cents: 10 }, { terminal: 5, cents: 10 }];
    const results = [1, 2, 29, 30].map((dd) => {
      const x = day(dd, rows);
      applyScenario1(x);
      s2.apply(x);
      return Array.from(x.scenario);
    });
    expect(results).toEqual([
      [1, 0, 0],
      [2, 2, 0],
      [2, 2, 0],
      [1, 0, 0],
    ]);
    expect(trace.scenario2).toEqual([{ day: 2, terminals: [4, 7] }]);
  });

  it('scenario 3 picks floor(n/3) of the window [d, d + 14) and multiplies by 5 each time', () => {
    const days = [0, 13, 14].map((dd) => day(dd, [{ customer: 1, cents: 100 }, { customer: 2, cents: 200 }, { customer: 9, cents: 300 }]));
    const trace = newTrace();
    // Customers {1, 2, 3}: days 0 and 13 are in the window -> 4 candidates -> 1 picked (index 3 = day 13,
    // customer 2); a second, overlapping compromise picks it again.
    const s3 = new Scenario3(10, scripted({ sample: [[1, 2, 3], [3], [1, 2, 3], [3]] }), trace);
    s3.apply(0, days);
    s3.apply(0, days);
    expect(Array.from(days[1]!.cents)).toEqual([100, 200 * 25, 300]);
    expect(Array.from(days[1]!.scenario)).toEqual([0, 3, 0]);
    expect(Array.from(days[2]!.scenario)).toEqual([0, 0, 0]);
    expect(trace.scenario3).toEqual([
      { day: 0, customers: [1, 2, 3], candidates: 4, selected: 1 },
      { day: 0, customers: [1, 2, 3], candidates: 4, selected: 1 },
    ]);
  });
});
