import { describe, expect, it } from 'vitest';
import {
  accountFeatures,
  EMPTY_ACCOUNT_WINDOW,
  NO_PREVIOUS_LOG_SECS,
  recordAccountTx,
  type AccountTx,
  type AccountWindow,
} from '../../src/domain/account-window.js';
import { DAY_MS, HOUR_MS } from '../../src/domain/time.js';

const T0 = Date.UTC(2018, 3, 1);
const tx = (hours: number, amount: number, terminalId = 'T1'): AccountTx => ({ timestampMs: T0 + hours * HOUR_MS, amount, terminalId });
const feed = (txs: AccountTx[]): AccountWindow => txs.reduce(recordAccountTx, EMPTY_ACCOUNT_WINDOW);

describe('account window features', () => {
  it('first transaction: windows hold only itself, no history features', () => {
    const f = accountFeatures(EMPTY_ACCOUNT_WINDOW, tx(0, 50));
    expect(f).toEqual({
      nbTx1d: 1, avgAmount1d: 50, nbTx7d: 1, avgAmount7d: 50, nbTx30d: 1, avgAmount30d: 50,
      amountLogRatio30d: 0, amountZscore30d: 0, logSecsSincePrev: NO_PREVIOUS_LOG_SECS, newTerminal30d: 1,
    });
  });

  it('counts and means over 1, 7 and 30 days, current transaction included (hand-computed)', () => {
    // history: 20 days ago 100, 3 days ago 40, 10 hours ago 20; current (hour 0 of day 25) 60
    const now = 25 * 24;
    const w = feed([tx(now - 20 * 24, 100), tx(now - 3 * 24, 40), tx(now - 10, 20, 'T2')]);
    const f = accountFeatures(w, tx(now, 60));
    expect(f.nbTx1d).toBe(2); // 20, 60
    expect(f.avgAmount1d).toBe(40); // (20+60)/2
    expect(f.nbTx7d).toBe(3); // 40, 20, 60
    expect(f.avgAmount7d).toBe(40); // 120/3
    expect(f.nbTx30d).toBe(4);
    expect(f.avgAmount30d).toBe(55); // 220/4
    // previous mean = 160/3 = 53.333; ln(61 / 54.333)
    expect(f.amountLogRatio30d).toBeCloseTo(Math.log(61 / (160 / 3 + 1)), 12);
    // previous sample std of (100, 40, 20): mean 53.33, deviations 46.67, -13.33, -33.33 → var = (2177.8+177.8+1111.1)/2 = 1733.3
    const std = Math.sqrt(((100 - 160 / 3) ** 2 + (40 - 160 / 3) ** 2 + (20 - 160 / 3) ** 2) / 2);
    expect(f.amountZscore30d).toBeCloseTo((60 - 160 / 3) / std, 12);
    expect(f.logSecsSincePrev).toBeCloseTo(Math.log1p(10 * 3600), 12);
    expect(f.newTerminal30d).toBe(0); // T1 used 3 days ago
    expect(accountFeatures(w, tx(now, 60, 'T9')).newTerminal30d).toBe(1);
  });

  it('window bounds are (t − w, t]: a transaction exactly w days old is out', () => {
    const w = feed([tx(0, 10)]);
    expect(accountFeatures(w, tx(24, 30)).nbTx1d).toBe(1);
    expect(accountFeatures(w, tx(24 - 1e-6, 30)).nbTx1d).toBe(2);
    expect(accountFeatures(w, tx(30 * 24, 30)).nbTx30d).toBe(1);
    expect(accountFeatures(w, tx(30 * 24, 30)).logSecsSincePrev).toBe(NO_PREVIOUS_LOG_SECS);
  });

  it('z-score uses a floor on the spread and is clipped to ±20', () => {
    const w = feed([tx(0, 10), tx(1, 10)]); // std 0, mean 10 → scale max(0, 1, 1) = 1
    expect(accountFeatures(w, tx(2, 15)).amountZscore30d).toBe(5);
    expect(accountFeatures(w, tx(2, 1000)).amountZscore30d).toBe(20);
  });

  it('evicts what no future event can see and keeps time order for late events', () => {
    let w = feed([tx(0, 1), tx(24 * 10, 2)]);
    w = recordAccountTx(w, tx(24 * 31, 3)); // cutoff day 1: drops day 0
    expect(w.amount).toEqual([2, 3]);
    w = recordAccountTx(w, tx(24 * 20, 4)); // late event goes in between
    expect(w.amount).toEqual([2, 4, 3]);
    expect(w.t).toEqual([...w.t].sort((a, b) => a - b));
    // a late event older than the horizon is not stored
    expect(recordAccountTx(w, tx(0, 9)).amount).toEqual([2, 4, 3]);
    // features of a late event see only what happened before it
    expect(accountFeatures(w, tx(24 * 15, 5)).nbTx30d).toBe(2); // day 10 and itself
  });

  it('is pure: the input window is not modified', () => {
    const w = feed([tx(0, 1)]);
    const copy = JSON.parse(JSON.stringify(w));
    recordAccountTx(w, tx(1, 2));
    accountFeatures(w, tx(1, 2));
    expect(w).toEqual(copy);
  });

  it('uses days of 86,400,000 ms', () => {
    expect(DAY_MS).toBe(24 * HOUR_MS);
  });
});
