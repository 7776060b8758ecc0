/** Per-feature standardisation, stored in the model card and applied before every prediction. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Mean and standard deviation of each column of a row-major matrix (rows `idx` only when given). */
export function fitNormalization(x: Float32Array, width: number, idx?: ArrayLike<number>): Normalization {
  const n = idx ? idx.length : x.length / width;
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    const row = (idx ? (idx[r] as number) : r) * width;
    for (let c = 0; c < width; c++) mean[c] = (mean[c] as number) + (x[row + c] as number);
  }
  for (let c = 0; c < width; c++) mean[c] = (mean[c] as number) / Math.max(n, 1);
  for (let r = 0; r < n; r++) {
    const row = (idx ? (idx[r] as number) : r) * width;
    for (let c = 0; c < width; c++) {
      const d = (x[row + c] as number) - (mean[c] as number);
      sq[c] = (sq[c] as number) + d * d;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / Math.max(n, 1));
    return v > 1e-9 ? v : 1;
  });
  return { mean: Array.from(mean), std };
}

/** Copies rows `idx` (all rows when omitted) of `x` into a new standardised matrix. */
export function normalizeRows(x: Float32Array, width: number, norm: Normalization, idx?: ArrayLike<number>): Float32Array {
  const n = idx ? idx.length : x.length / width;
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    const src = (idx ? (idx[r] as number) : r) * width;
    const dst = r * width;
    for (let c = 0; c < width; c++) {
      out[dst + c] = ((x[src + c] as number) - (norm.mean[c] as number)) / (norm.std[c] as number);
    }
  }
  return out;
}
