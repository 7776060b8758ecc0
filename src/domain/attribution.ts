/**
 * Feature attribution by occlusion: for each feature, the score the model gives
 * when only that feature is replaced by its training mean. The difference
 * (score − occluded score) is how much that feature pushed the score up.
 * Deterministic, model-agnostic, and costs one extra row per feature in the
 * same predict batch. Pure: the model calls are done by the caller.
 */
import type { Reason } from './policy.js';

/** Writes FEATURE rows into `out` (row-major): row i = `vector` with feature i set to `means[i]`. */
export function occlusionRows(vector: ArrayLike<number>, means: readonly number[], out: Float32Array, offset = 0): void {
  const width = means.length;
  for (let i = 0; i < width; i++) {
    const row = offset + i * width;
    for (let c = 0; c < width; c++) out[row + c] = vector[c] as number;
    out[row + i] = means[i] as number;
  }
}

export interface Contribution {
  readonly feature: string;
  readonly value: number;
  readonly contribution: number;
}

/** Features sorted by how much they raised the score, strongest first (only positive contributions). */
export function topContributions(
  names: readonly string[],
  vector: ArrayLike<number>,
  score: number,
  occluded: ArrayLike<number>,
  k: number,
): Contribution[] {
  const all: Contribution[] = names.map((feature, i) => ({
    feature,
    value: vector[i] as number,
    contribution: score - (occluded[i] as number),
  }));
  return all
    .filter((c) => c.contribution > 1e-4)
    .sort((a, b) => b.contribution - a.contribution || (a.feature < b.feature ? -1 : 1))
    .slice(0, k);
}

export function contributionReasons(contributions: readonly Contribution[]): Reason[] {
  return contributions.map((c) => ({
    code: 'FEATURE_CONTRIBUTION',
    detail: `${c.feature}=${Number(c.value.toPrecision(6))} raised the score by ${c.contribution.toFixed(4)}`,
  }));
}
