/**
 * Labelled decisions as CSV in the book's schema (plus veto's columns), so
 * `veto train --in labels.csv` can learn from analysts' verdicts.
 */
import type { CasePage, CaseStore } from '../../adapters/case-store.js';
import { formatBookDatetime } from '../../data/book-row.js';

export const LABELS_HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO,DECISION,SCORE,VERDICT,RESOLVED_BY,RESOLVED_AT,MODEL_VERSION';

const csvField = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export async function casesCsv(cases: CaseStore): Promise<string> {
  const lines = [LABELS_HEADER];
  let cursor: string | null = null;
  do {
    const page: CasePage = await cases.resolved(cursor, 500);
    for (const c of page.items) {
      lines.push(
        [
          c.txId,
          formatBookDatetime(Date.parse(c.timestamp)),
          c.accountId,
          c.terminalId,
          c.amount.toFixed(2),
          c.verdict === 'fraud' ? '1' : '0',
          '0',
          c.decision,
          c.score === null ? '' : String(c.score),
          c.verdict ?? '',
          c.resolvedBy ?? '',
          c.resolvedAt ?? '',
          c.modelVersion,
        ]
          .map(csvField)
          .join(','),
      );
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return `${lines.join('\n')}\n`;
}
