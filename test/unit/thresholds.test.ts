import { describe, expect, it } from 'vitest';
import { decisionForScore, strongest } from '../../src/domain/decision.js';
import { chooseThresholds, thresholdForPrecision } from '../../src/pipeline/thresholds.js';
import { formatScore } from '../../src/pipeline/scores-file.js';

describe('thresholds and decisions', () => {
  it('thresholdForPrecision: lowest score whose precision reaches the target (hand-computed)', () => {
    // 40 transactions, ranked by score: the top 20 are 18 fraud + 2 legit (precision 0.9 at rank 20),
    // the next 20 are 2 fraud + 18 legit (precision 20/40 = 0.5 at rank 40).
    const scores = Array.from({ length: 40 }, (_, i) => 1 - i / 40);
    const labels = scores.map((_, i) => (i < 20 ? (i === 5 || i === 12 ? 0 : 1) : i === 25 || i === 30 ? 1 : 0));
    expect(thresholdForPrecision(labels, scores, 0.9)).toBe(scores[19]);
    expect(thresholdForPrecision(labels, scores, 0.5)).toBe(scores[39]);
    expect(thresholdForPrecision(labels, scores, 0.95)).toBeUndefined(); // top 20 only reach 0.9
  });

  it('ties are evaluated as one group', () => {
    const scores = new Array(30).fill(0.5);
    const labels = scores.map((_, i) => (i < 15 ? 1 : 0)); // one group, precision 0.5
    expect(thresholdForPrecision(labels, scores, 0.5)).toBe(0.5);
    expect(thresholdForPrecision(labels, scores, 0.6)).toBeUndefined();
  });

  it('chooseThresholds keeps review ≤ block and records the method', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    const labels = scores.map((s) => (s >= 0.7 ? 1 : 0));
    const t = chooseThresholds(labels, scores);
    expect(t.block).toBeLessThanOrEqual(0.7);
    expect(t.review).toBeLessThanOrEqual(t.block);
    expect(t.method).toMatch(/precision/);
  });

  it('decisions: allow < review < block, strongest wins', () => {
    const t = { review: 0.2, block: 0.8 };
    expect(decisionForScore(0.1, t)).toBe('allow');
    expect(decisionForScore(0.2, t)).toBe('review');
    expect(decisionForScore(0.8, t)).toBe('block');
    expect(strongest('allow', 'review')).toBe('review');
    expect(strongest('block', 'review')).toBe('block');
  });

  it('formatScore round-trips float32 scores exactly', () => {
    const xs = new Float32Array([0.1, 1 / 3, 0.987654321, 1e-7, 0, 1]);
    for (const x of xs) expect(Math.fround(Number(formatScore(x)))).toBe(x);
  });
});
