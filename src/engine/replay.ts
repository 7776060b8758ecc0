/**
 * Replays historical transactions through the live entity actors in event-time
 * order, revealing each fraud label `labelDelayMs` after its transaction (as a
 * chargeback would arrive), and collects every transaction's feature vector.
 * Training, evaluation and backtests all use this, so offline features are the
 * features the engine computes online.
 */
import type { BookRow } from '../data/book-row.js';
import { FEATURE_COUNT, writeFeatureVector } from '../domain/features.js';
import { EntityRegistry } from './entities.js';

export interface ReplayOptions {
  readonly labelDelayMs: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Row indices in event-time order (stable for equal timestamps). */
export function timeOrder(rows: readonly BookRow[]): Uint32Array {
  const order = Uint32Array.from(rows.keys());
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) sorted = (rows[i - 1] as BookRow).timestampMs <= (rows[i] as BookRow).timestampMs;
  if (!sorted) order.sort((a, b) => (rows[a] as BookRow).timestampMs - (rows[b] as BookRow).timestampMs || a - b);
  return order;
}

/** Returns the row-major feature matrix (rows.length × FEATURE_COUNT), in the rows' order. */
export function replayFeatures(rows: readonly BookRow[], options: ReplayOptions): Float32Array {
  const registry = new EntityRegistry({ labelDelayMs: options.labelDelayMs });
  const out = new Float32Array(rows.length * FEATURE_COUNT);
  const order = timeOrder(rows);
  // Fraud labels wait in a FIFO; with a constant delay their reveal times are ascending.
  const pending: BookRow[] = [];
  let head = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const row = rows[i] as BookRow;
    while (head < pending.length && (pending[head] as BookRow).timestampMs + options.labelDelayMs <= row.timestampMs) {
      const fraud = pending[head++] as BookRow;
      registry.applyLabel({
        txId: fraud.txId,
        accountId: fraud.accountId,
        terminalId: fraud.terminalId,
        txTimestampMs: fraud.timestampMs,
        label: 'fraud',
        source: 'replay',
        timestampMs: fraud.timestampMs + options.labelDelayMs,
      });
    }
    if (head > 65_536) {
      pending.splice(0, head);
      head = 0;
    }
    const f = registry.applyTransaction(row);
    writeFeatureVector(row, f.account, f.terminal, out, i * FEATURE_COUNT);
    if (row.fraud === 1) pending.push(row);
    if (options.onProgress && (k & 0xffff) === 0) options.onProgress(k, rows.length);
  }
  registry.stop();
  options.onProgress?.(rows.length, rows.length);
  return out;
}
