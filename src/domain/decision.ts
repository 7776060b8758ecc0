/** Score thresholds → decision. Pure. The full policy (hard rules, lists, limits) builds on this. */
export type Decision = 'allow' | 'review' | 'block';

/** Decisions in increasing strength: the strongest of several wins. */
export const DECISION_ORDER: readonly Decision[] = ['allow', 'review', 'block'];

export function strongest(a: Decision, b: Decision): Decision {
  return DECISION_ORDER.indexOf(a) >= DECISION_ORDER.indexOf(b) ? a : b;
}

export function decisionForScore(score: number, thresholds: { readonly review: number; readonly block: number }): Decision {
  if (score >= thresholds.block) return 'block';
  if (score >= thresholds.review) return 'review';
  return 'allow';
}
