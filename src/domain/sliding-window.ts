/**
 * Event-time sliding windows stored as a struct of arrays ascending by `t`
 * (JSON-serialisable for actor snapshots). Pure.
 */
import { upperBound } from './time.js';

type Row<W> = { [K in keyof W]: W[K] extends readonly (infer E)[] ? E : never };

/**
 * The window after inserting `row` in time order (after equal times) and
 * evicting every entry a future event can no longer see: those at or before
 * (latest time − horizonMs). A row older than that is not stored. Returns the
 * same object when nothing changes.
 */
export function insertInWindow<W extends { readonly t: readonly number[] }>(w: W, row: Row<W>, horizonMs: number): W {
  const time = row.t as number;
  const last = w.t.length > 0 ? (w.t[w.t.length - 1] as number) : -Infinity;
  const cutoff = Math.max(last, time) - horizonMs;
  const keepFrom = upperBound(w.t, cutoff);
  const store = time > cutoff;
  if (!store && keepFrom === 0) return w;
  const at = upperBound(w.t, time) - keepFrom;
  const out = {} as Record<string, unknown[]>;
  for (const key of Object.keys(w) as (keyof W & string)[]) {
    const column = (w[key] as readonly unknown[]).slice(keepFrom);
    if (store) {
      if (at === column.length) column.push(row[key]);
      else column.splice(at, 0, row[key]);
    }
    out[key] = column;
  }
  return out as unknown as W;
}
