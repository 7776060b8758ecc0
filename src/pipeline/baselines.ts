/**
 * The handbook's published results on its default split (train 2018-07-25..31,
 * 7-day delay, test 2018-08-08..14), chapter "Baseline fraud detection system".
 */
export interface BaselineRow {
  readonly model: string;
  readonly auc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
}

export const BOOK_BASELINES: readonly BaselineRow[] = [
  { model: 'Logistic regression (book)', auc: 0.871, averagePrecision: 0.606, cardPrecisionAt100: 0.291 },
  { model: 'Decision tree, depth 2 (book)', auc: 0.763, averagePrecision: 0.496, cardPrecisionAt100: 0.241 },
  { model: 'Random forest (book)', auc: 0.867, averagePrecision: 0.658, cardPrecisionAt100: 0.287 },
  { model: 'XGBoost (book)', auc: 0.862, averagePrecision: 0.639, cardPrecisionAt100: 0.273 },
];

/** The best published value of each metric (they come from different models). */
export const BOOK_BEST = {
  auc: Math.max(...BOOK_BASELINES.map((b) => b.auc)),
  averagePrecision: Math.max(...BOOK_BASELINES.map((b) => b.averagePrecision)),
  cardPrecisionAt100: Math.max(...BOOK_BASELINES.map((b) => b.cardPrecisionAt100)),
};

/** Formats the comparison table printed by `veto evaluate`. */
export function formatComparison(rows: readonly BaselineRow[]): string {
  const header = ['Model', 'AUC ROC', 'Average precision', 'Card Precision@100'];
  const body = rows.map((r) => [r.model, r.auc.toFixed(3), r.averagePrecision.toFixed(3), r.cardPrecisionAt100.toFixed(3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
