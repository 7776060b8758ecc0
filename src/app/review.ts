/**
 * Wiring of the analysts' review: the case store (Redis in service mode,
 * in-process otherwise), label feedback (service mode: a label event on
 * `<prefix>.label.<accountId>`, consumed like a chargeback; embedded: applied
 * to the actors at once), and durable account changes.
 */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { InMemoryCaseStore, type CaseStore } from '../adapters/case-store.js';
import type { DecisionStore } from '../adapters/decision-store.js';
import { subjectsFor } from '../adapters/nats/mod.js';
import { RedisCaseStore } from '../adapters/redis/redis-case-store.js';
import type { StateStore } from '../adapters/state-store.js';
import type { LabelEvent } from '../domain/events.js';
import type { DecisionEngine } from '../engine/engine.js';
import type { EntityRegistry } from '../engine/entities.js';
import { ReviewService } from '../engine/review.js';
import type { ReviewRouteDeps } from '../http/routes/review.js';
import type { VetoConfig } from './config.js';

export interface ReviewWiring {
  readonly review: ReviewService;
  readonly cases: CaseStore;
  readonly routes: ReviewRouteDeps;
  close(): Promise<void>;
}

export function createReview(
  config: VetoConfig,
  deps: { engine: DecisionEngine; registry: EntityRegistry; decisions: DecisionStore; stateStore?: StateStore; nats?: () => NatsConnection | undefined },
): ReviewWiring {
  const { engine, registry, stateStore } = deps;
  const cases: CaseStore =
    config.services.redisUrl !== null ? new RedisCaseStore({ url: config.services.redisUrl, prefix: config.state.keyPrefix }) : new InMemoryCaseStore();

  const loadAccount = async (accountId: string): Promise<void> => {
    if (stateStore === undefined || registry.accounts.has(accountId)) return;
    const loaded = await stateStore.loadMany([accountId], []);
    const s = loaded.accounts.get(accountId);
    if (s && !registry.accounts.has(accountId)) registry.accounts.restore(accountId, s.snapshot, s.seq);
  };

  const withAccount = async <T>(accountId: string, change: () => T): Promise<T> => {
    await loadAccount(accountId);
    const result = change();
    if (stateStore) {
      const snapshot = registry.accounts.persisted(accountId);
      if (snapshot) await stateStore.commit([], [{ accountId, snapshot, decisions: [] }]);
      registry.accounts.markClean([accountId]);
    }
    return result;
  };

  const emitLabel = async (label: LabelEvent): Promise<void> => {
    const nats = deps.nats?.();
    if (nats) {
      const subject = subjectsFor(config.services.subjectPrefix).label(label.accountId);
      const body = { txId: label.txId, label: label.label, source: label.source, timestamp: new Date(label.timestampMs).toISOString(), eventId: `verdict-${label.txId}-${label.label}` };
      await jetstream(nats).publish(subject, new TextEncoder().encode(JSON.stringify(body)), { msgID: body.eventId });
      return;
    }
    await loadAccount(label.accountId);
    registry.applyLabel(label);
  };

  const review = new ReviewService({
    cases,
    decisions: deps.decisions,
    registry,
    emitLabel,
    withAccount,
    options: { casesForBlock: config.review.casesForBlock, blockOnFraud: config.review.blockOnFraud },
  });
  engine.onRecorded = (record) => review.onDecision(record);
  return {
    review,
    cases,
    routes: { review, cases, decisions: deps.decisions, registry, engine, loadAccount },
    close: () => cases.close(),
  };
}
