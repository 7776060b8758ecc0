/**
 * The book's evaluation protocol applied to any scores: test transactions of
 * the split (known-compromised cards removed), AUC ROC, Average Precision and
 * Card Precision@100 over the test days.
 */
import type { BookRow } from '../data/book-row.js';
import { selectTestSet, type BookSplit } from '../data/protocol.js';
import { averagePrecision, cardPrecisionTopK, rocAuc } from '../domain/metrics.js';

export interface EvaluationResult {
  readonly transactions: number;
  readonly frauds: number;
  /** Test transactions removed because their card was known to be compromised. */
  readonly removed: number;
  readonly auc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
  readonly perDay: readonly { readonly day: number; readonly precision: number; readonly compromisedCards: number }[];
}

/**
 * Evaluates `scoreOf(rowIndex)` on the split's test set. Throws when a test
 * transaction has no score, so a partial score file cannot pass unnoticed.
 */
export function evaluateSplit(rows: readonly BookRow[], split: BookSplit, scoreOf: (rowIndex: number) => number | undefined): EvaluationResult {
  const test = selectTestSet(rows, split);
  if (test.indices.length === 0) throw new Error('the file has no transactions in the test period');
  const labels: number[] = [];
  const scores: number[] = [];
  const cards = test.indices.map((i, k) => {
    const row = rows[i] as BookRow;
    const score = scoreOf(i);
    if (score === undefined || !Number.isFinite(score)) throw new Error(`no score for test transaction ${row.txId}`);
    labels.push(row.fraud);
    scores.push(score);
    return { day: test.testDay[k] as number, cardId: row.accountId, score, fraud: row.fraud };
  });
  const cp = cardPrecisionTopK(cards, 100);
  return {
    transactions: labels.length,
    frauds: labels.reduce((a, b) => a + b, 0),
    removed: test.removed,
    auc: rocAuc(labels, scores),
    averagePrecision: averagePrecision(labels, scores),
    cardPrecisionAt100: cp.mean,
    perDay: cp.perDay.map((d) => ({ day: d.day, precision: d.precision, compromisedCards: d.compromisedCards })),
  };
}
