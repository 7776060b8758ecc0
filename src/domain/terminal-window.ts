/**
 * The terminal's (merchant's) transactions over the last (label delay + 30)
 * days of event time with their known fraud labels, and the delayed terminal
 * risk features computed from it. Pure: every function returns new values.
 *
 * Fraud labels are only known after a delay (chargebacks, investigations), so
 * the risk windows of a transaction at time t cover (t − delay − w, t − delay]
 * for w = 1, 7, 30 days, exactly as in the book. Labels arrive as events and
 * mark the matching entry.
 */
import { insertInWindow } from './sliding-window.js';
import { DAY_MS, upperBound } from './time.js';

export const DEFAULT_LABEL_DELAY_MS = 7 * DAY_MS;
const LONGEST_WINDOW_MS = 30 * DAY_MS;

/** Struct of arrays, ascending by time; JSON-serialisable for snapshots. */
export interface TerminalWindow {
  readonly t: readonly number[];
  readonly txId: readonly string[];
  /** 1 when a fraud label has been received for the transaction. */
  readonly fraud: readonly (0 | 1)[];
}

export interface TerminalFeatures {
  readonly nbTx1d: number;
  readonly risk1d: number;
  readonly nbTx7d: number;
  readonly risk7d: number;
  readonly nbTx30d: number;
  readonly risk30d: number;
}

export const EMPTY_TERMINAL_WINDOW: TerminalWindow = { t: [], txId: [], fraud: [] };

/** How long entries must be kept for a given label delay. */
export function terminalHorizonMs(labelDelayMs: number): number {
  return labelDelayMs + LONGEST_WINDOW_MS;
}

/** Delayed count and fraud ratio for a transaction at `timestampMs`. */
export function terminalFeatures(w: TerminalWindow, timestampMs: number, labelDelayMs: number): TerminalFeatures {
  const end = upperBound(w.t, timestampMs - labelDelayMs);
  const win = (days: number): [number, number] => {
    const start = upperBound(w.t, timestampMs - labelDelayMs - days * DAY_MS);
    let frauds = 0;
    for (let i = start; i < end; i++) frauds += w.fraud[i] as number;
    const n = end - start;
    return [n, n > 0 ? frauds / n : 0];
  };
  const [n1, r1] = win(1);
  const [n7, r7] = win(7);
  const [n30, r30] = win(30);
  return { nbTx1d: n1, risk1d: r1, nbTx7d: n7, risk7d: r7, nbTx30d: n30, risk30d: r30 };
}

/** The window after recording a transaction, with entries beyond the horizon evicted. */
export function recordTerminalTx(
  w: TerminalWindow,
  tx: { readonly txId: string; readonly timestampMs: number },
  labelDelayMs: number,
): TerminalWindow {
  return insertInWindow(w, { t: tx.timestampMs, txId: tx.txId, fraud: 0 as const }, terminalHorizonMs(labelDelayMs));
}

/**
 * Index of the entry for `txId`, or −1. With the transaction's timestamp the
 * search starts at that time (O(log n + ties)); without it, a linear scan.
 */
export function findTerminalEntry(w: TerminalWindow, txId: string, txTimestampMs?: number): number {
  if (txTimestampMs !== undefined) {
    for (let i = upperBound(w.t, txTimestampMs) - 1; i >= 0 && (w.t[i] as number) === txTimestampMs; i--) {
      if (w.txId[i] === txId) return i;
    }
  }
  return w.txId.indexOf(txId);
}

/**
 * The window after a label: `fraud` marks the transaction as fraudulent,
 * `legit` clears a previous fraud mark (an overturned chargeback). Returns the
 * same object when nothing changes (unknown or expired transaction, or a
 * repeated label), so repeats are idempotent.
 */
export function applyTerminalLabel(
  w: TerminalWindow,
  label: { readonly txId: string; readonly txTimestampMs?: number; readonly fraud: boolean },
): TerminalWindow {
  const i = findTerminalEntry(w, label.txId, label.txTimestampMs);
  const value: 0 | 1 = label.fraud ? 1 : 0;
  if (i < 0 || w.fraud[i] === value) return w;
  const fraud = w.fraud.slice();
  fraud[i] = value;
  return { t: w.t, txId: w.txId, fraud };
}
