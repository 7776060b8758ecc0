/**
 * One transaction in the schema of the "Reproducible Machine Learning for Credit
 * Card Fraud Detection" handbook — the CSV format written by `veto simulate` and
 * read by `veto train|evaluate|backtest`.
 */
export const BOOK_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_TIME_SECONDS',
  'TX_TIME_DAYS',
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
] as const;

export interface BookRow {
  /** TRANSACTION_ID */
  readonly txId: string;
  /** TX_DATETIME parsed as UTC, epoch milliseconds. */
  readonly timestampMs: number;
  /** CUSTOMER_ID — the account (card) */
  readonly accountId: string;
  /** TERMINAL_ID */
  readonly terminalId: string;
  /** TX_AMOUNT, in currency units with cents */
  readonly amount: number;
  /** TX_TIME_SECONDS — seconds since the start of the data set */
  readonly timeSeconds: number;
  /** TX_TIME_DAYS — whole days since the start of the data set */
  readonly timeDays: number;
  /** TX_FRAUD — 1 for fraud, 0 for legitimate */
  readonly fraud: 0 | 1;
  /** TX_FRAUD_SCENARIO — 0 legit, 1..3 simulator fraud scenario */
  readonly scenario: number;
}

/** Format epoch ms as the book's TX_DATETIME: `YYYY-MM-DD HH:MM:SS` (UTC). */
export function formatBookDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
