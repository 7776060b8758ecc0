/**
 * Detection metrics of the handbook, pure (no I/O, no clock): ROC AUC and
 * average precision with sklearn's exact definitions, and the book's
 * card precision top-k with removal of already-detected compromised cards.
 */

/** Scores of the positives and of the negatives, each sorted ascending; validates the inputs. */
function splitSorted(labels: ArrayLike<number>, scores: ArrayLike<number>): { pos: Float64Array; neg: Float64Array } {
  const n = labels.length;
  if (scores.length !== n) throw new RangeError(`labels (${n}) and scores (${scores.length}) differ in length`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new RangeError(`label ${y} at ${i} is not 0 or 1`);
    if (Number.isNaN(scores[i]!)) throw new RangeError(`score at ${i} is NaN`);
    nPos += y;
  }
  const pos = new Float64Array(nPos), neg = new Float64Array(n - nPos);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i]!;
    else neg[q++] = scores[i]!;
  }
  return { pos: pos.sort(), neg: neg.sort() };
}

/**
 * Area under the ROC curve, exact, with tied scores counting 1/2 (the midrank
 * / Mann–Whitney statistic, equal to sklearn's `roc_auc_score`). O(n log n).
 * Labels must be 0/1 and scores not NaN (else RangeError); NaN if only one class.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { pos, neg } = splitSorted(labels, scores);
  if (pos.length === 0 || neg.length === 0) return NaN;
  // For each positive p: (#negatives < p) + ½ (#negatives = p), by a merge of the two sorted lists.
  let lo = 0, hi = 0, sum = 0;
  for (const p of pos) {
    while (lo < neg.length && neg[lo]! < p) lo++;
    if (hi < lo) hi = lo;
    while (hi < neg.length && neg[hi]! <= p) hi++;
    sum += lo + 0.5 * (hi - lo);
  }
  return sum / (pos.length * neg.length);
}

/**
 * Average precision as sklearn's `average_precision_score`: Σₙ (Rₙ − Rₙ₋₁) Pₙ
 * over the distinct score thresholds taken in decreasing order, all examples
 * with the same score entering together. NaN if there are no positives.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { pos, neg } = splitSorted(labels, scores);
  if (pos.length === 0) return NaN;
  let i = pos.length - 1, j = neg.length - 1, tp = 0, fp = 0, ap = 0;
  while (i >= 0) { // thresholds below the lowest positive add no recall
    const t = j >= 0 && neg[j]! > pos[i]! ? neg[j]! : pos[i]!;
    let dtp = 0;
    while (i >= 0 && pos[i] === t) { i--; dtp++; }
    while (j >= 0 && neg[j] === t) { j--; fp++; }
    tp += dtp;
    ap += (dtp / pos.length) * (tp / (tp + fp));
  }
  return ap;
}

/** One scored transaction for {@link cardPrecisionTopK}. */
export interface CardScore {
  readonly day: number;
  readonly cardId: string;
  readonly score: number;
  readonly fraud: 0 | 1;
}

export interface CardPrecisionDay {
  readonly day: number;
  /** Compromised cards among the top k, divided by k. */
  readonly precision: number;
  /** Compromised cards among the top k (they are removed on later days). */
  readonly detected: number;
  /** Distinct compromised cards that day, after removing earlier detections. */
  readonly compromisedCards: number;
}

/**
 * The book's `card_precision_top_k` with `remove_detected_compromised_cards=True`.
 * For each day in ascending order: drop cards detected on earlier days; reduce
 * each card to its max score and max fraud label; rank cards by score
 * descending (ties: cardId ascending, by code unit); precision = compromised
 * cards in the top k / k (k even when fewer cards); those cards count as
 * detected afterwards. `mean` averages over the days present (NaN if none).
 * NaN scores or a k that is not a positive integer throw a RangeError.
 */
export function cardPrecisionTopK(
  rows: readonly CardScore[],
  k: number,
): { mean: number; perDay: CardPrecisionDay[] } {
  if (!(Number.isInteger(k) && k > 0)) throw new RangeError(`k must be a positive integer, got ${k}`);
  const byDay = new Map<number, CardScore[]>();
  for (const r of rows) {
    if (Number.isNaN(r.score)) throw new RangeError(`NaN score for card ${r.cardId} on day ${r.day}`);
    const list = byDay.get(r.day);
    if (list === undefined) byDay.set(r.day, [r]);
    else list.push(r);
  }
  const detectedCards = new Set<string>();
  const perDay: CardPrecisionDay[] = [];
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const cards = new Map<string, { cardId: string; score: number; fraud: number }>();
    for (const r of byDay.get(day)!) {
      if (detectedCards.has(r.cardId)) continue;
      const c = cards.get(r.cardId);
      if (c === undefined) cards.set(r.cardId, { cardId: r.cardId, score: r.score, fraud: r.fraud });
      else {
        if (r.score > c.score) c.score = r.score;
        if (r.fraud > c.fraud) c.fraud = r.fraud;
      }
    }
    const ranked = [...cards.values()].sort((a, b) =>
      a.score !== b.score ? (a.score > b.score ? -1 : 1) : a.cardId < b.cardId ? -1 : a.cardId > b.cardId ? 1 : 0,
    );
    let compromisedCards = 0;
    for (const c of ranked) compromisedCards += c.fraud;
    let detected = 0;
    for (const c of ranked.slice(0, k)) {
      if (c.fraud === 1) { detected++; detectedCards.add(c.cardId); }
    }
    perDay.push({ day, precision: detected / k, detected, compromisedCards });
  }
  const mean = perDay.length === 0 ? NaN : perDay.reduce((s, d) => s + d.precision, 0) / perDay.length;
  return { mean, perDay };
}
