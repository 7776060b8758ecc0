import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../src/adapters/decision-store.js';
import { InMemoryStateStore, type AccountCommit, type TerminalCommit } from '../../src/adapters/state-store.js';
import { EMPTY_LISTS } from '../../src/domain/policy.js';
import { FEATURE_COUNT } from '../../src/domain/features.js';
import { DecisionEngine } from '../../src/engine/engine.js';
import { EntityRegistry } from '../../src/engine/entities.js';
import { EventProcessor, type InboundEvent } from '../../src/engine/event-processor.js';
import { ScoringService } from '../../src/engine/scoring.js';

class FlakyStore extends InMemoryStateStore {
  down = false;
  override commit(t: readonly TerminalCommit[], a: readonly AccountCommit[]) {
    return this.down ? Promise.reject(new Error('store down')) : super.commit(t, a);
  }
}

function setup(maxResident = 1000) {
  const store = new FlakyStore();
  const registry = new EntityRegistry();
  const scorer = { version: 'test', means: new Array(FEATURE_COUNT).fill(0), score: (x: Float32Array) => new Float32Array(x.length / FEATURE_COUNT).fill(0.001) };
  const engine = new DecisionEngine({
    registry,
    scoring: new ScoringService(scorer, { maxBatch: 256, maxWaitMs: 0, timeoutMs: 1000 }),
    store,
    policy: { thresholds: { review: 0.5, block: 0.9 }, lists: EMPTY_LISTS, fallback: 'open' },
  });
  const published: DecisionRecord[] = [];
  const dlq: { reason: string; error: string }[] = [];
  const outputs = {
    publishDecision: async (r: DecisionRecord) => void published.push(r),
    deadLetter: async (reason: string, _ev: InboundEvent, error: string) => void dlq.push({ reason, error }),
  };
  const processor = new EventProcessor(engine, registry, store, outputs, { prefix: 'veto', maxResident, idleMs: 3_600_000 });
  return { store, registry, processor, published, dlq };
}

const enc = new TextEncoder();
let seq = 0;
const txEvent = (txId: string, accountId: string, terminalId = 'T1', minute = 0, s = ++seq): InboundEvent => ({
  seq: s,
  subject: `veto.tx.${accountId}`,
  redelivered: false,
  data: enc.encode(JSON.stringify({ txId, accountId, terminalId, amount: 20, currency: 'EUR', timestamp: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString() })),
});
const raw = (subject: string, body: string, s = ++seq): InboundEvent => ({ seq: s, subject, redelivered: false, data: enc.encode(body) });

describe('event processor', () => {
  it('applies transactions, commits state with decisions, publishes and acks', async () => {
    const { processor, store, published, registry } = setup();
    const batch = [txEvent('a1', 'A'), txEvent('a2', 'A', 'T1', 1), txEvent('b1', 'B', 'T2')];
    const res = await processor.process(batch);
    expect(res.ack).toEqual(batch.map((e) => e.seq));
    expect(published.map((r) => r.txId)).toEqual(['a1', 'a2', 'b1']);
    expect(registry.accountSnapshot('A')?.context.txCount).toBe(2);
    expect(store.accounts.get('A')?.seq).toBe(batch[1]?.seq);
    expect(JSON.parse(store.accounts.get('A')?.snapshot ?? '{}').context.txCount).toBe(2);
    expect((await store.get('a2'))?.features.account_nb_tx_1d).toBe(2);
  });

  it('a redelivered batch and a publisher duplicate are counted once; decisions are republished', async () => {
    const { processor, registry, published } = setup();
    const batch = [txEvent('c1', 'C'), txEvent('c2', 'C', 'T1', 1)];
    await processor.process(batch);
    const again = await processor.process(batch.map((e) => ({ ...e, redelivered: true })));
    expect(again.ack).toEqual(batch.map((e) => e.seq));
    const dup = await processor.process([txEvent('c1', 'C')]); // same txId, new stream sequence
    expect(dup.ack).toHaveLength(1);
    expect(registry.accountSnapshot('C')?.context.txCount).toBe(2);
    expect(registry.terminalSnapshot('T1')?.context.txCount).toBe(2);
    expect(published.filter((r) => r.txId === 'c1')).toHaveLength(3);
  });

  it('malformed messages go to the dead-letter output and change nothing', async () => {
    const { processor, registry, dlq, published } = setup();
    const res = await processor.process([
      raw('veto.tx.D', '{not json'),
      raw('veto.tx.D', JSON.stringify({ txId: 'd1', accountId: 'D', terminalId: 'T', amount: -5, currency: 'EUR', timestamp: '2026-01-01T00:00:00Z' })),
      raw('veto.tx.E', JSON.stringify({ txId: 'd2', accountId: 'D', terminalId: 'T', amount: 5, currency: 'EUR', timestamp: '2026-01-01T00:00:00Z' })),
      raw('veto.nope.D', '{}'),
      raw('veto.label.D', JSON.stringify({ txId: 'x', label: 'maybe', source: 's', timestamp: '2026-01-01T00:00:00Z' })),
    ]);
    expect(res.ack).toHaveLength(5);
    expect(dlq.map((d) => d.reason)).toEqual(['invalid-json', 'invalid-event', 'subject-mismatch', 'unknown-subject', 'invalid-event']);
    expect(dlq[1]?.error).toMatch(/amount/);
    expect(registry.accountCount).toBe(0);
    expect(published).toHaveLength(0);
  });

  it('when the store is down nothing is acked, memory is rolled back, and the retry counts once', async () => {
    const { processor, registry, store } = setup();
    await processor.process([txEvent('f0', 'F')]);
    store.down = true;
    const batch = [txEvent('f1', 'F', 'T1', 1), txEvent('f2', 'F', 'T1', 2)];
    await expect(processor.process(batch)).rejects.toThrow(/store down/);
    expect(registry.accounts.has('F')).toBe(false);
    store.down = false;
    await processor.process(batch);
    expect(registry.accountSnapshot('F')?.context.txCount).toBe(3);
    expect(JSON.parse(store.accounts.get('F')?.snapshot ?? '{}').context.txCount).toBe(3);
  });

  it('passivation: evicted accounts are restored exactly from the store', async () => {
    const { processor, registry, store } = setup(1);
    await processor.process([txEvent('g1', 'G', 'TG'), txEvent('g2', 'G', 'TG', 1)]);
    const before = registry.accountSnapshot('G')?.context;
    await processor.process([txEvent('h1', 'H', 'TH')]);
    expect(registry.accounts.has('G')).toBe(false);
    expect(store.accounts.has('G')).toBe(true);
    await processor.process([txEvent('g3', 'G', 'TG', 2)]);
    const after = registry.accountSnapshot('G')?.context;
    expect(after?.txCount).toBe(3);
    expect(after?.window.t.slice(0, 2)).toEqual(before?.window.t);
    expect((await store.get('g3'))?.features.account_nb_tx_1d).toBe(3);
  });

  it('labels reach the terminal of the labelled transaction; account events block', async () => {
    const { processor, registry, published } = setup();
    await processor.process([txEvent('l1', 'L', 'TL')]);
    await processor.process([
      raw('veto.label.L', JSON.stringify({ txId: 'l1', label: 'fraud', source: 'chargeback', timestamp: '2026-01-05T00:00:00Z' })),
      raw('veto.account.L', JSON.stringify({ eventId: 'e1', accountId: 'L', type: 'block', reason: 'stolen', timestamp: '2026-01-05T00:00:01Z' })),
    ]);
    expect(registry.terminalSnapshot('TL')?.context.window.fraud).toEqual([1]);
    expect(registry.accountSnapshot('L')?.context.fraudLabels).toBe(1);
    expect(registry.accountSnapshot('L')?.value).toBe('blocked');
    await processor.process([txEvent('l2', 'L', 'TL', 3)]);
    expect(published.at(-1)?.decision).toBe('block');
  });
});
