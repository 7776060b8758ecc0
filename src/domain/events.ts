/**
 * The events that drive the entity actors, and their validation. Pure.
 */
export interface TransactionEvent {
  readonly txId: string;
  readonly accountId: string;
  readonly terminalId: string;
  readonly amount: number;
  /** Event time: when the transaction happened (epoch ms, UTC). */
  readonly timestampMs: number;
}

export type LabelValue = 'fraud' | 'legit';

export interface LabelEvent {
  readonly txId: string;
  readonly accountId: string;
  readonly label: LabelValue;
  /** e.g. 'chargeback', 'analyst', 'backtest' */
  readonly source: string;
  /** When the label became known (epoch ms). */
  readonly timestampMs: number;
  /** The labelled transaction's terminal and time, when known (speeds up matching). */
  readonly terminalId?: string;
  readonly txTimestampMs?: number;
}

/** Largest amount accepted as a number at all (the policy applies real limits). */
export const MAX_AMOUNT = 1e12;

/** Why a transaction event is invalid, or undefined when it is valid. */
export function invalidTransactionReason(tx: TransactionEvent): string | undefined {
  if (typeof tx.txId !== 'string' || tx.txId.length === 0) return 'txId must be a non-empty string';
  if (typeof tx.accountId !== 'string' || tx.accountId.length === 0) return 'accountId must be a non-empty string';
  if (typeof tx.terminalId !== 'string' || tx.terminalId.length === 0) return 'terminalId must be a non-empty string';
  if (typeof tx.amount !== 'number' || !Number.isFinite(tx.amount) || tx.amount < 0 || tx.amount > MAX_AMOUNT) {
    return `amount must be a finite number in [0, ${MAX_AMOUNT}]`;
  }
  if (typeof tx.timestampMs !== 'number' || !Number.isFinite(tx.timestampMs)) return 'timestamp must be a valid time';
  return undefined;
}
