import { describe, expect, it } from 'vitest';
import { applyPolicy, EMPTY_LISTS, type Policy, type PolicyFacts } from '../../src/domain/policy.js';

const policy: Policy = { thresholds: { review: 0.2, block: 0.8 }, maxAmount: 10_000, reviewAmount: 2_000, lists: EMPTY_LISTS, fallback: 'open' };
const facts: PolicyFacts = { accountId: 'A', terminalId: 'T', deviceId: 'D', amount: 50, accountBlocked: false, score: 0.01 };
const codes = (o: { reasons: { code: string }[] }) => o.reasons.map((r) => r.code);
const withLists = (lists: Partial<Record<keyof typeof EMPTY_LISTS, string[]>>): Policy => ({
  ...policy,
  lists: { ...EMPTY_LISTS, ...Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, new Set(v)])) },
});

describe('policy', () => {
  it('low score, no rule: allow without reasons', () => {
    expect(applyPolicy(facts, policy)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('score thresholds: review and block', () => {
    expect(applyPolicy({ ...facts, score: 0.2 }, policy).decision).toBe('review');
    expect(codes(applyPolicy({ ...facts, score: 0.2 }, policy))).toEqual(['SCORE_REVIEW']);
    expect(applyPolicy({ ...facts, score: 0.95 }, policy).decision).toBe('block');
  });

  it('blocked account blocks whatever the score', () => {
    const o = applyPolicy({ ...facts, accountBlocked: true, accountBlockReason: 'stolen' }, policy);
    expect(o.decision).toBe('block');
    expect(o.reasons[0]).toEqual({ code: 'ACCOUNT_BLOCKED', detail: 'account is blocked: stolen' });
  });

  it('block lists for accounts, terminals and devices', () => {
    expect(codes(applyPolicy(facts, withLists({ blockAccounts: ['A'] })))).toEqual(['ACCOUNT_BLOCKLISTED']);
    expect(codes(applyPolicy(facts, withLists({ blockTerminals: ['T'] })))).toEqual(['TERMINAL_BLOCKLISTED']);
    expect(codes(applyPolicy(facts, withLists({ blockDevices: ['D'] })))).toEqual(['DEVICE_BLOCKLISTED']);
    expect(applyPolicy({ ...facts, deviceId: undefined }, withLists({ blockDevices: ['D'] })).decision).toBe('allow');
  });

  it('amount limits: over the review limit → review, over the limit → block (strongest wins)', () => {
    expect(applyPolicy({ ...facts, amount: 2_000.01 }, policy)).toMatchObject({ decision: 'review', reasons: [{ code: 'AMOUNT_OVER_REVIEW_LIMIT' }] });
    expect(applyPolicy({ ...facts, amount: 10_000.01 }, policy)).toMatchObject({ decision: 'block', reasons: [{ code: 'AMOUNT_OVER_LIMIT' }] });
    expect(applyPolicy({ ...facts, amount: 2_500, score: 0.9 }, policy).decision).toBe('block');
  });

  it('allow lists skip score rules but never hard rules', () => {
    const p = withLists({ allowAccounts: ['A'] });
    expect(applyPolicy({ ...facts, score: 0.99 }, p)).toMatchObject({ decision: 'allow', reasons: [{ code: 'ALLOWLISTED' }] });
    expect(applyPolicy({ ...facts, score: 0.99, amount: 20_000 }, p).decision).toBe('block');
    expect(applyPolicy({ ...facts, accountBlocked: true }, withLists({ allowTerminals: ['T'] })).decision).toBe('block');
  });

  it('without a score the fallback decides, with a degraded reason', () => {
    const open = applyPolicy({ ...facts, score: undefined, degradedReason: 'timeout' }, policy);
    expect(open.decision).toBe('allow');
    expect(open.reasons[0]?.code).toBe('SCORING_DEGRADED');
    expect(open.reasons[0]?.detail).toMatch(/timeout/);
    expect(applyPolicy({ ...facts, score: undefined }, { ...policy, fallback: 'closed' }).decision).toBe('block');
    // hard rules still apply when degraded
    expect(applyPolicy({ ...facts, score: undefined, amount: 50_000 }, policy).decision).toBe('block');
  });
});
