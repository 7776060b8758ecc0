/**
 * Decision thresholds chosen on held-out scores: `block` is the lowest score
 * above which at least BLOCK_PRECISION of transactions were fraud, `review`
 * the lowest above which at least REVIEW_PRECISION were. Pure.
 */
import type { Thresholds } from '../model/card.js';

export const BLOCK_PRECISION = 0.9;
export const REVIEW_PRECISION = 0.3;
/** Ignore thresholds backed by fewer flagged transactions than this. */
const MIN_FLAGGED = 20;

/** Lowest threshold whose precision (score ≥ threshold) reaches `target`, or undefined. */
export function thresholdForPrecision(labels: ArrayLike<number>, scores: ArrayLike<number>, target: number): number | undefined {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let tp = 0;
  let best: number | undefined;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    tp += labels[i] as number;
    const s = scores[i] as number;
    const next = k + 1 < order.length ? (scores[order[k + 1] as number] as number) : -Infinity;
    if (next === s) continue; // evaluate at the end of a group of ties
    if (k + 1 >= MIN_FLAGGED && tp / (k + 1) >= target) best = s;
  }
  return best;
}

export function chooseThresholds(labels: ArrayLike<number>, scores: ArrayLike<number>): Thresholds {
  const block = thresholdForPrecision(labels, scores, BLOCK_PRECISION) ?? 0.95;
  const review = Math.min(thresholdForPrecision(labels, scores, REVIEW_PRECISION) ?? 0.5, block);
  return {
    review: Number(review.toFixed(6)),
    block: Number(block.toFixed(6)),
    method: `lowest scores at which held-out precision reached ${REVIEW_PRECISION} (review) and ${BLOCK_PRECISION} (block), at least ${MIN_FLAGGED} flagged`,
  };
}
