import { describe, expect, it } from 'vitest';
import { accountFeatures, EMPTY_ACCOUNT_WINDOW } from '../../src/domain/account-window.js';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURES, featureRecord, writeFeatureVector } from '../../src/domain/features.js';
import { EMPTY_TERMINAL_WINDOW, terminalFeatures } from '../../src/domain/terminal-window.js';

const vectorAt = (iso: string, amount = 10) => {
  const timestampMs = Date.parse(iso);
  const a = accountFeatures(EMPTY_ACCOUNT_WINDOW, { timestampMs, amount, terminalId: 'T' });
  const t = terminalFeatures(EMPTY_TERMINAL_WINDOW, timestampMs, 7 * 86_400_000);
  const v = new Float32Array(FEATURE_COUNT);
  writeFeatureVector({ timestampMs, amount }, a, t, v);
  return featureRecord(v);
};

describe('feature vector', () => {
  it('has the book 15 and every feature is defined once', () => {
    expect(FEATURES.filter((f) => f.book).length).toBe(15);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    for (const f of FEATURES) expect(f.definition.length).toBeGreaterThan(10);
  });

  it('weekend: 2018-04-01 is a Sunday, 2018-04-02 a Monday, 2018-04-07 a Saturday', () => {
    expect(vectorAt('2018-04-01T12:00:00Z').tx_during_weekend).toBe(1);
    expect(vectorAt('2018-04-02T12:00:00Z').tx_during_weekend).toBe(0);
    expect(vectorAt('2018-04-07T00:00:00Z').tx_during_weekend).toBe(1);
    expect(vectorAt('2018-04-06T23:59:59Z').tx_during_weekend).toBe(0);
  });

  it('night: hour ≤ 6', () => {
    expect(vectorAt('2018-04-02T00:00:00Z').tx_during_night).toBe(1);
    expect(vectorAt('2018-04-02T06:59:59Z').tx_during_night).toBe(1);
    expect(vectorAt('2018-04-02T07:00:00Z').tx_during_night).toBe(0);
    expect(vectorAt('2018-04-02T23:00:00Z').tx_during_night).toBe(0);
  });

  it('places amount and window features under their names', () => {
    const v = vectorAt('2018-04-02T12:00:00Z', 42.5);
    expect(v.tx_amount).toBe(42.5);
    expect(v.account_nb_tx_1d).toBe(1);
    expect(v.account_avg_amount_30d).toBe(42.5);
    expect(v.terminal_nb_tx_30d).toBe(0);
    expect(v.account_new_terminal_30d).toBe(1);
  });
});
