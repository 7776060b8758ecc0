import { describe, expect, it } from 'vitest';
import { averagePrecision, cardPrecisionTopK, rocAuc, type CardScore } from '../../src/domain/metrics.js';
import { Rng } from '../../src/domain/random.js';

/** O(n²) reference: P(score⁺ > score⁻) + ½ P(score⁺ = score⁻) over all pairs. */
function bruteAuc(labels: number[], scores: number[]): number {
  let sum = 0, pairs = 0;
  labels.forEach((yi, i) => labels.forEach((yj, j) => {
    if (yi !== 1 || yj !== 0) return;
    pairs++;
    sum += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
  }));
  return sum / pairs;
}

/** O(n²) reference of sklearn's AP: Σ (R_t − R_prev) P_t over distinct thresholds t, descending. */
function bruteAp(labels: number[], scores: number[]): number {
  const nPos = labels.filter((y) => y === 1).length;
  let ap = 0, prevRecall = 0;
  for (const t of [...new Set(scores)].sort((a, b) => b - a)) {
    const sel = labels.filter((_, i) => scores[i]! >= t);
    const tp = sel.filter((y) => y === 1).length;
    ap += (tp / nPos - prevRecall) * (tp / sel.length);
    prevRecall = tp / nPos;
  }
  return ap;
}

describe('rocAuc', () => {
  it('matches the sklearn doc example', () => {
    // positives 0.35, 0.8; negatives 0.1, 0.4. Pairs won: (0.35>0.1), (0.8>0.1), (0.8>0.4) = 3 of 4.
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('counts ties as one half', () => {
    // pos 0.9, 0.5, 0.1; neg 0.9, 0.5. p0.9: tie + win = 1.5; p0.5: loss + tie = 0.5; p0.1: 0. 2 / 6.
    expect(rocAuc([1, 0, 1, 0, 1], [0.9, 0.9, 0.5, 0.5, 0.1])).toBeCloseTo(1 / 3, 15);
  });

  it('is 0.5 when all scores are equal, 1 when perfect, 0 when inverted', () => {
    expect(rocAuc([1, 0, 0, 1, 0], [0.7, 0.7, 0.7, 0.7, 0.7])).toBe(0.5);
    expect(rocAuc([0, 0, 1], [0.1, 0.2, 0.3])).toBe(1);
    expect(rocAuc([1, 1, 0], [0.1, 0.2, 0.3])).toBe(0);
  });

  it('is NaN with one class and rejects bad input', () => {
    expect(rocAuc([0, 0], [0.1, 0.2])).toBeNaN();
    expect(rocAuc([1], [0.1])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(RangeError);
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow(RangeError);
    expect(() => rocAuc([0, 1], [0.1])).toThrow(RangeError);
  });

  it('accepts typed arrays, ±Infinity and -0', () => {
    // pos +Inf, -0; neg -Inf, 0: +Inf beats both (2), -0 beats -Inf (1) and ties 0 (½) → 3.5 / 4
    expect(rocAuc(new Uint8Array([0, 1, 0, 1]), new Float32Array([-Infinity, Infinity, 0, -0]))).toBe(0.875);
  });

  it('agrees with the O(n²) pair count on random data with many ties', () => {
    const rng = new Rng(7);
    for (let rep = 0; rep < 20; rep++) {
      const n = 50 + Math.floor(rng.next() * 250);
      const labels = Array.from({ length: n }, () => (rng.next() < 0.2 ? 1 : 0));
      labels[0] = 1;
      labels[1] = 0;
      const scores = Array.from({ length: n }, () => Math.round(rng.next() * (rep % 2 ? 10 : 1000)) / 10);
      expect(rocAuc(labels, scores)).toBeCloseTo(bruteAuc(labels, scores), 12);
      expect(averagePrecision(labels, scores)).toBeCloseTo(bruteAp(labels, scores), 12);
    }
  });
});

describe('averagePrecision', () => {
  it('matches the sklearn doc example', () => {
    // thresholds 0.8: P=1 R=.5; 0.4: P=1/2 R=.5; 0.35: P=2/3 R=1 → .5·1 + 0 + .5·2/3 = 0.8333…
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(5 / 6, 15);
  });

  it('groups tied scores into one threshold', () => {
    // 0.9: tp1 fp1 P=.5 R=1/3; 0.5: tp2 fp2 P=.5 R=2/3; 0.1: tp3 fp2 P=.6 R=1 → (.5+.5+.6)/3
    expect(averagePrecision([1, 0, 1, 0, 1], [0.9, 0.9, 0.5, 0.5, 0.1])).toBeCloseTo(1.6 / 3, 15);
  });

  it('is the positive rate when all scores are equal', () => {
    // one threshold: R 0 → 1 at P = 2/5
    expect(averagePrecision([1, 0, 0, 1, 0], [0.7, 0.7, 0.7, 0.7, 0.7])).toBeCloseTo(0.4, 15);
  });

  it('ignores negatives ranked below every positive; NaN without positives', () => {
    expect(averagePrecision([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.1])).toBe(1);
    // 0.9 neg: P=0 R=0; 0.5 pos: P=1/2 R=1 → 0.5
    expect(averagePrecision([0, 1, 0], [0.9, 0.5, 0.1])).toBe(0.5);
    expect(averagePrecision([1, 1], [0.3, 0.2])).toBe(1);
    expect(averagePrecision([0, 0], [0.3, 0.2])).toBeNaN();
  });
});

describe('cardPrecisionTopK', () => {
  const r = (day: number, cardId: string, score: number, fraud: 0 | 1): CardScore => ({ day, cardId, score, fraud });

  it('removes cards detected on earlier days and averages over days', () => {
    const rows = [
      // day 3 listed first: days are processed in ascending order regardless of input order
      r(3, 'D', 0.99, 1), r(3, 'G', 0.2, 0),
      // day 0: cards A(max .9, max fraud 1), B(.8,0), D(.8,1), C(.7,1). B/D tie → B first (cardId).
      // top 2 = A, B → 1 detected (A) → 0.5; compromised A, C, D = 3
      r(0, 'A', 0.9, 0), r(0, 'A', 0.2, 1), r(0, 'D', 0.8, 1), r(0, 'B', 0.8, 0), r(0, 'C', 0.7, 1),
      // day 1: A reappears but was detected → dropped. C(.6,1), E(.5,0), D(.3,1).
      // top 2 = C, E → 1 detected (C) → 0.5; compromised C, D = 2
      r(1, 'A', 0.95, 1), r(1, 'C', 0.6, 1), r(1, 'D', 0.3, 1), r(1, 'E', 0.5, 0),
      // day 2: C dropped (detected day 1). D(.4,1), F(.1,0) → top 2 = D, F → 0.5; compromised 1
      r(2, 'C', 0.9, 1), r(2, 'D', 0.4, 1), r(2, 'F', 0.1, 0),
      // day 3: D dropped (detected day 2). G only → 0 / 2 = 0; compromised 0
    ];
    const res = cardPrecisionTopK(rows, 2);
    expect(res.perDay).toEqual([
      { day: 0, precision: 0.5, detected: 1, compromisedCards: 3 },
      { day: 1, precision: 0.5, detected: 1, compromisedCards: 2 },
      { day: 2, precision: 0.5, detected: 1, compromisedCards: 1 },
      { day: 3, precision: 0, detected: 0, compromisedCards: 0 },
    ]);
    expect(res.mean).toBe(0.375); // (.5 + .5 + .5 + 0) / 4
  });

  it('divides by k even when fewer cards exist; breaks score ties by cardId', () => {
    // one card, fraud, k = 3 → 1/3
    expect(cardPrecisionTopK([r(5, 'X', 0.1, 1)], 3).mean).toBeCloseTo(1 / 3, 15);
    // all scores equal → ranked by cardId: 'a', 'b', 'c'; k = 1 → 'a' (legit) → 0; compromised b, c = 2
    const tied = [r(0, 'c', 0.5, 1), r(0, 'b', 0.5, 1), r(0, 'a', 0.5, 0)];
    expect(cardPrecisionTopK(tied, 1).perDay[0]).toEqual({ day: 0, precision: 0, detected: 0, compromisedCards: 2 });
    // k = 2 → 'a', 'b' → 1 / 2
    expect(cardPrecisionTopK(tied, 2).mean).toBe(0.5);
  });

  it('handles empty input and rejects bad k / NaN scores', () => {
    expect(cardPrecisionTopK([], 100)).toEqual({ mean: NaN, perDay: [] });
    expect(() => cardPrecisionTopK([], 0)).toThrow(RangeError);
    expect(() => cardPrecisionTopK([], 1.5)).toThrow(RangeError);
    expect(() => cardPrecisionTopK([r(0, 'a', NaN, 0)], 1)).toThrow(RangeError);
  });
});
