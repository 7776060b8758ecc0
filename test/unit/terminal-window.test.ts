import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../src/domain/time.js';
import {
  applyTerminalLabel,
  EMPTY_TERMINAL_WINDOW,
  recordTerminalTx,
  terminalFeatures,
  type TerminalWindow,
} from '../../src/domain/terminal-window.js';

const T0 = Date.UTC(2018, 3, 1);
const DELAY = 7 * DAY_MS;
const at = (days: number) => T0 + days * DAY_MS;
const feed = (times: number[]): TerminalWindow =>
  times.reduce((w, t, i) => recordTerminalTx(w, { txId: `tx${i}`, timestampMs: t }, DELAY), EMPTY_TERMINAL_WINDOW);

describe('terminal delayed risk features', () => {
  it('counts only transactions in (t − 7d − w, t − 7d] (hand-computed)', () => {
    // transactions on days 0, 2, 2.5, 9.5, 10; current on day 10
    const w = feed([at(0), at(2), at(2.5), at(9.5), at(10)]);
    const f = terminalFeatures(w, at(10), DELAY);
    // window end: day 3. 1d: (2, 3] → days 2.5 only (day 2 is exactly 8 days old: out)
    expect(f.nbTx1d).toBe(1);
    // 7d: (−4, 3] → days 0, 2, 2.5
    expect(f.nbTx7d).toBe(3);
    expect(f.nbTx30d).toBe(3);
    expect([f.risk1d, f.risk7d, f.risk30d]).toEqual([0, 0, 0]);
  });

  it('fraud ratio reflects labels received; legit overturns a fraud label; repeats are idempotent', () => {
    let w = feed([at(0), at(1), at(1.5), at(2)]);
    w = applyTerminalLabel(w, { txId: 'tx1', fraud: true, txTimestampMs: at(1) });
    const again = applyTerminalLabel(w, { txId: 'tx1', fraud: true });
    expect(again).toBe(w);
    let f = terminalFeatures(w, at(9), DELAY); // end day 2: 1d (1, 2] = days 1.5, 2; 7d = all 4
    expect(f.nbTx1d).toBe(2);
    expect(f.risk1d).toBe(0);
    expect(f.nbTx7d).toBe(4);
    expect(f.risk7d).toBe(0.25);
    w = applyTerminalLabel(w, { txId: 'tx3', fraud: true });
    f = terminalFeatures(w, at(9), DELAY);
    expect(f.risk1d).toBe(0.5);
    expect(f.risk7d).toBe(0.5);
    w = applyTerminalLabel(w, { txId: 'tx1', fraud: false });
    expect(terminalFeatures(w, at(9), DELAY).risk7d).toBe(0.25);
  });

  it('a label for an unknown or expired transaction changes nothing', () => {
    const w = feed([at(0)]);
    expect(applyTerminalLabel(w, { txId: 'nope', fraud: true })).toBe(w);
  });

  it('no transactions in the window → count 0 and risk 0', () => {
    const f = terminalFeatures(feed([at(5)]), at(6), DELAY);
    expect(f).toEqual({ nbTx1d: 0, risk1d: 0, nbTx7d: 0, risk7d: 0, nbTx30d: 0, risk30d: 0 });
  });

  it('keeps label delay + 30 days and evicts older entries', () => {
    const w = feed([at(0), at(1), at(38)]); // cutoff: day 1 → days 0 and 1 are out (1 is exactly 37 days old)
    expect(w.txId).toEqual(['tx2']);
    const w2 = feed([at(0), at(1), at(37.5)]);
    expect(w2.txId).toEqual(['tx1', 'tx2']);
    expect(terminalFeatures(w2, at(37.5), DELAY).nbTx30d).toBe(1); // (0.5, 30.5] holds day 1
  });

  it('a transaction exactly at t − 7d is inside, its label too', () => {
    let w = feed([at(3) + HOUR_MS]);
    w = applyTerminalLabel(w, { txId: 'tx0', fraud: true });
    expect(terminalFeatures(w, at(10) + HOUR_MS, DELAY).risk1d).toBe(1);
  });
});
