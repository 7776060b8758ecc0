import { describe, expect, it } from 'vitest';
import { Simulation, deriveSeed, generateProfiles, resolveOptions, terminalsOf, terminalsWithin } from '../../../src/sim/mod.js';

const SMALL = { customers: 200, terminals: 400, days: 40, seed: 7 };

describe('customer and terminal profiles', () => {
  const p = generateProfiles(resolveOptions(SMALL));

  it('draws the book distributions', () => {
    expect(p.customerX).toHaveLength(200);
    expect(p.terminalX).toHaveLength(400);
    for (let c = 0; c < p.customers; c++) {
      for (const v of [p.customerX[c]!, p.customerY[c]!]) expect(v >= 0 && v < 100).toBe(true);
      expect(p.meanAmount[c]! >= 5 && p.meanAmount[c]! < 100).toBe(true);
      expect(p.stdAmount[c]).toBe(p.meanAmount[c]! / 2);
      expect(p.meanTxPerDay[c]! >= 0 && p.meanTxPerDay[c]! < 4).toBe(true);
    }
    for (let t = 0; t < p.terminals; t++) {
      for (const v of [p.terminalX[t]!, p.terminalY[t]!]) expect(v >= 0 && v < 100).toBe(true);
    }
    // Not degenerate: values spread over their range.
    const means = Array.from(p.meanAmount);
    expect(Math.min(...means)).toBeLessThan(15);
    expect(Math.max(...means)).toBeGreaterThan(90);
    const avg = means.reduce((a, b) => a + b, 0) / means.length;
    expect(avg).toBeGreaterThan(45);
    expect(avg).toBeLessThan(60);
  });

  it('gives each customer exactly the terminals strictly within r, ascending (vs brute force)', () => {
    let total = 0;
    for (let c = 0; c < p.customers; c++) {
      const expected: number[] = [];
      for (let t = 0; t < p.terminals; t++) {
        const d = Math.hypot(p.terminalX[t]! - p.customerX[c]!, p.terminalY[t]! - p.customerY[c]!);
        if (d < p.radius) expected.push(t);
      }
      expect(Array.from(terminalsOf(p, c))).toEqual(expected);
      total += expected.length;
    }
    expect(total).toBeGreaterThan(0);
  });

  it('grid search matches brute force for other radii, including r larger than the square', () => {
    const q = generateProfiles(resolveOptions({ customers: 50, terminals: 300, seed: 3 }));
    for (const r of [0.7, 3, 12.5, 40, 150]) {
      const { start, list } = terminalsWithin(q.customerX, q.customerY, q.terminalX, q.terminalY, r);
      for (let c = 0; c < 50; c++) {
        const expected: number[] = [];
        for (let t = 0; t < 300; t++) {
          if (Math.hypot(q.terminalX[t]! - q.customerX[c]!, q.terminalY[t]! - q.customerY[c]!) < r) expected.push(t);
        }
        expect(Array.from(list.subarray(start[c], start[c + 1]))).toEqual(expected);
      }
    }
  });

  it('is seeded: same seed same profiles, other seed other profiles', () => {
    const again = generateProfiles(resolveOptions(SMALL));
    expect(again.customerX).toEqual(p.customerX);
    expect(again.availableTerminals).toEqual(p.availableTerminals);
    const other = generateProfiles(resolveOptions({ ...SMALL, seed: 8 }));
    expect(other.customerX).not.toEqual(p.customerX);
  });

  it('uses separate streams: the terminal count does not shift customer profiles', () => {
    const more = generateProfiles(resolveOptions({ ...SMALL, terminals: 999 }));
    expect(more.customerX).toEqual(p.customerX);
    expect(more.meanAmount).toEqual(p.meanAmount);
    expect(more.terminalX.subarray(0, 400)).toEqual(p.terminalX);
    expect(deriveSeed(1, 'customers')).not.toBe(deriveSeed(1, 'terminals'));
    expect(deriveSeed(1, 'customers')).not.toBe(deriveSeed(2, 'customers'));
    expect(deriveSeed(1, 'customers')).not.toBe(deriveSeed(2 ** 32 + 1, 'customers'));
  });

  it('rejects invalid options', () => {
    expect(() => new Simulation({ customers: 0 })).toThrow(RangeError);
    expect(() => new Simulation({ days: 1.5 })).toThrow(RangeError);
    expect(() => new Simulation({ seed: -1 })).toThrow(RangeError);
    expect(() => new Simulation({ radius: 0 })).toThrow(RangeError);
    expect(() => new Simulation({ startDate: new Date(Number.NaN) })).toThrow(RangeError);
  });
});
