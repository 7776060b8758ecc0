/**
 * The feature vector scored by the model: names, one-line definitions (copied
 * into the model card) and assembly from the transaction, the account's and the
 * terminal's features. The order here is the model's input order.
 */
import type { AccountFeatures } from './account-window.js';
import type { TerminalFeatures } from './terminal-window.js';
import { isWeekend, utcHour } from './time.js';

export interface FeatureDef {
  readonly name: string;
  /** Name of the same feature in the handbook, when it is one of the book's 15. */
  readonly book?: string;
  readonly definition: string;
}

export const FEATURES: readonly FeatureDef[] = [
  { name: 'tx_amount', book: 'TX_AMOUNT', definition: 'Transaction amount.' },
  { name: 'tx_during_weekend', book: 'TX_DURING_WEEKEND', definition: '1 if the transaction time (UTC) is on a Saturday or Sunday, else 0.' },
  { name: 'tx_during_night', book: 'TX_DURING_NIGHT', definition: '1 if the transaction hour (UTC) is 6 or earlier (00:00–06:59), else 0.' },
  { name: 'account_nb_tx_1d', book: 'CUSTOMER_ID_NB_TX_1DAY_WINDOW', definition: "Number of the account's transactions in (t − 1 day, t], current one included." },
  { name: 'account_avg_amount_1d', book: 'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW', definition: "Mean amount of the account's transactions in (t − 1 day, t], current one included." },
  { name: 'account_nb_tx_7d', book: 'CUSTOMER_ID_NB_TX_7DAY_WINDOW', definition: "Number of the account's transactions in (t − 7 days, t], current one included." },
  { name: 'account_avg_amount_7d', book: 'CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW', definition: "Mean amount of the account's transactions in (t − 7 days, t], current one included." },
  { name: 'account_nb_tx_30d', book: 'CUSTOMER_ID_NB_TX_30DAY_WINDOW', definition: "Number of the account's transactions in (t − 30 days, t], current one included." },
  { name: 'account_avg_amount_30d', book: 'CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW', definition: "Mean amount of the account's transactions in (t − 30 days, t], current one included." },
  { name: 'terminal_nb_tx_1d', book: 'TERMINAL_ID_NB_TX_1DAY_WINDOW', definition: "Number of the terminal's transactions in (t − d − 1 day, t − d], d = label delay (7 days)." },
  { name: 'terminal_risk_1d', book: 'TERMINAL_ID_RISK_1DAY_WINDOW', definition: 'Share of those transactions labelled fraud (0 when there are none).' },
  { name: 'terminal_nb_tx_7d', book: 'TERMINAL_ID_NB_TX_7DAY_WINDOW', definition: "Number of the terminal's transactions in (t − d − 7 days, t − d]." },
  { name: 'terminal_risk_7d', book: 'TERMINAL_ID_RISK_7DAY_WINDOW', definition: 'Share of those transactions labelled fraud (0 when there are none).' },
  { name: 'terminal_nb_tx_30d', book: 'TERMINAL_ID_NB_TX_30DAY_WINDOW', definition: "Number of the terminal's transactions in (t − d − 30 days, t − d]." },
  { name: 'terminal_risk_30d', book: 'TERMINAL_ID_RISK_30DAY_WINDOW', definition: 'Share of those transactions labelled fraud (0 when there are none).' },
  { name: 'account_amount_log_ratio_30d', definition: "ln((amount + 1) / (mean amount of the account's previous transactions in (t − 30 days, t] + 1)); 0 without history." },
  { name: 'account_amount_zscore_30d', definition: '(amount − previous 30-day mean) / max(previous 30-day sample std, 0.1 × mean, 1), clipped to ±20; 0 with fewer than 2 previous transactions.' },
  { name: 'account_log_secs_since_prev_tx', definition: "ln(1 + seconds since the account's previous transaction); ln(1 + 30 days in seconds) when none in the last 30 days." },
  { name: 'account_new_terminal_30d', definition: 'Terminal novelty: 1 if the account has not used this terminal in the previous 30 days, else 0.' },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/** Facts of the transaction itself (no history needed). */
export interface TxFacts {
  readonly timestampMs: number;
  readonly amount: number;
}

/** Writes the feature vector of one transaction into `out` at `offset` (row-major matrices). */
export function writeFeatureVector(
  tx: TxFacts,
  a: AccountFeatures,
  term: TerminalFeatures,
  out: Float32Array | number[],
  offset = 0,
): void {
  const v = [
    tx.amount,
    isWeekend(tx.timestampMs) ? 1 : 0,
    utcHour(tx.timestampMs) <= 6 ? 1 : 0,
    a.nbTx1d,
    a.avgAmount1d,
    a.nbTx7d,
    a.avgAmount7d,
    a.nbTx30d,
    a.avgAmount30d,
    term.nbTx1d,
    term.risk1d,
    term.nbTx7d,
    term.risk7d,
    term.nbTx30d,
    term.risk30d,
    a.amountLogRatio30d,
    a.amountZscore30d,
    a.logSecsSincePrev,
    a.newTerminal30d,
  ];
  for (let i = 0; i < v.length; i++) out[offset + i] = v[i] as number;
}

/** The feature vector as a name → value record (for reasons, cases and audit). */
export function featureRecord(vector: ArrayLike<number>, offset = 0): Record<string, number> {
  const rec: Record<string, number> = {};
  // 7 significant digits: the float32 value without binary noise (4.570436000823975 → 4.570436).
  for (let i = 0; i < FEATURE_COUNT; i++) rec[FEATURE_NAMES[i] as string] = Number((vector[offset + i] as number).toPrecision(7));
  return rec;
}
