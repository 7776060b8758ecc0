/**
 * The account's (card's) transaction history over the last 30 days of event
 * time, and the per-account features computed from it. Pure: every function
 * returns new values and reads time only from its arguments.
 *
 * The window keeps exactly the transactions that a future event can still see:
 * entries older than (latest event time − 30 days) are evicted on each update,
 * so memory per account is O(transactions in 30 days).
 */
import { insertInWindow } from './sliding-window.js';
import { DAY_MS, upperBound } from './time.js';

export const ACCOUNT_HORIZON_MS = 30 * DAY_MS;
/** Value of log_secs_since_prev_tx when there is no previous transaction in the window. */
export const NO_PREVIOUS_LOG_SECS = Math.log1p(ACCOUNT_HORIZON_MS / 1000);
const ZSCORE_CLIP = 20;

/** Struct of arrays, ascending by time; JSON-serialisable for snapshots. */
export interface AccountWindow {
  readonly t: readonly number[];
  readonly amount: readonly number[];
  readonly terminal: readonly string[];
}

export interface AccountTx {
  readonly timestampMs: number;
  readonly amount: number;
  readonly terminalId: string;
}

export interface AccountFeatures {
  readonly nbTx1d: number;
  readonly avgAmount1d: number;
  readonly nbTx7d: number;
  readonly avgAmount7d: number;
  readonly nbTx30d: number;
  readonly avgAmount30d: number;
  readonly amountLogRatio30d: number;
  readonly amountZscore30d: number;
  readonly logSecsSincePrev: number;
  readonly newTerminal30d: number;
}

export const EMPTY_ACCOUNT_WINDOW: AccountWindow = { t: [], amount: [], terminal: [] };

/**
 * Features of `tx` given the history before it. Windows are continuous,
 * (t − w, t], and include the current transaction, as in the book; the
 * "previous" statistics exclude it.
 */
export function accountFeatures(w: AccountWindow, tx: AccountTx): AccountFeatures {
  const t = tx.timestampMs;
  const end = upperBound(w.t, t); // entries at or before t
  const win = (days: number): [number, number] => {
    const start = upperBound(w.t, t - days * DAY_MS);
    let sum = 0;
    for (let i = start; i < end; i++) sum += w.amount[i] as number;
    return [end - start, sum];
  };
  const [n1, s1] = win(1);
  const [n7, s7] = win(7);
  const [n30, s30] = win(30);

  // Previous transactions in (t − 30d, t], without the current one.
  const start30 = end - n30;
  let sumSq = 0;
  const prevMean = n30 > 0 ? s30 / n30 : 0;
  let seenTerminal = false;
  for (let i = start30; i < end; i++) {
    const d = (w.amount[i] as number) - prevMean;
    sumSq += d * d;
    if (w.terminal[i] === tx.terminalId) seenTerminal = true;
  }
  const prevStd = n30 > 1 ? Math.sqrt(sumSq / (n30 - 1)) : 0;
  const scale = Math.max(prevStd, 0.1 * prevMean, 1);
  const z = n30 > 1 ? (tx.amount - prevMean) / scale : 0;
  const prevT = n30 > 0 ? (w.t[end - 1] as number) : undefined;

  return {
    nbTx1d: n1 + 1,
    avgAmount1d: (s1 + tx.amount) / (n1 + 1),
    nbTx7d: n7 + 1,
    avgAmount7d: (s7 + tx.amount) / (n7 + 1),
    nbTx30d: n30 + 1,
    avgAmount30d: (s30 + tx.amount) / (n30 + 1),
    amountLogRatio30d: n30 > 0 ? Math.log((tx.amount + 1) / (prevMean + 1)) : 0,
    amountZscore30d: Math.max(-ZSCORE_CLIP, Math.min(ZSCORE_CLIP, z)),
    logSecsSincePrev: prevT === undefined ? NO_PREVIOUS_LOG_SECS : Math.log1p((t - prevT) / 1000),
    newTerminal30d: seenTerminal ? 0 : 1,
  };
}

/** The window after recording `tx` (inserted in time order), with expired entries evicted. */
export function recordAccountTx(w: AccountWindow, tx: AccountTx): AccountWindow {
  return insertInWindow(w, { t: tx.timestampMs, amount: tx.amount, terminal: tx.terminalId }, ACCOUNT_HORIZON_MS);
}
