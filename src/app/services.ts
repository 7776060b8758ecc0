/**
 * Service mode: Redis as the online feature store and, with NATS, the durable
 * event path (JetStream consumer → EventProcessor), `veto.authorize`
 * request/reply, decisions and dead letters published back. Built by the
 * runtime when VETO_REDIS_URL / VETO_NATS_URL are configured.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import {
  connectNats,
  ensureConsumer,
  ensureStreams,
  EventConsumer,
  publishDecision,
  publishDlq,
  serveRequests,
  subjectsFor,
  type NatsHandle,
  type RequestServer,
} from '../adapters/nats/mod.js';
import { RedisStateStore } from '../adapters/redis/mod.js';
import type { StateStore } from '../adapters/state-store.js';
import { validateTransaction } from '../domain/event-schemas.js';
import type { DecisionEngine } from '../engine/engine.js';
import type { EntityRegistry } from '../engine/entities.js';
import { InvalidEventError } from '../engine/errors.js';
import { EventProcessor } from '../engine/event-processor.js';
import { toDecisionResponse } from '../http/routes/authorize.js';
import type { VetoConfig } from './config.js';

/** Redis command budget: authorization must answer within milliseconds even when Redis hangs. */
const REDIS_COMMAND_TIMEOUT_MS = 250;

export function createStateStore(config: VetoConfig, log?: FastifyBaseLogger): RedisStateStore | undefined {
  if (config.services.redisUrl === null) return undefined;
  return new RedisStateStore({
    url: config.services.redisUrl,
    prefix: config.state.keyPrefix,
    decisionRetentionSeconds: Math.ceil(config.state.decisionRetentionDays * 86_400),
    commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    onStatus: (status) => log?.[status === 'ready' ? 'info' : 'warn']({ redis: status }, `Redis ${status}`),
  });
}

/** Loads the actors a transaction needs from the store when they are not resident. */
export async function restoreActors(store: StateStore, registry: EntityRegistry, accountId: string, terminalId: string): Promise<void> {
  const accounts = registry.accounts.has(accountId) ? [] : [accountId];
  const terminals = registry.terminals.has(terminalId) ? [] : [terminalId];
  if (accounts.length === 0 && terminals.length === 0) return;
  const loaded = await store.loadMany(accounts, terminals);
  for (const [id, s] of loaded.accounts) if (!registry.accounts.has(id)) registry.accounts.restore(id, s.snapshot, s.seq);
  for (const [id, s] of loaded.terminals) if (!registry.terminals.has(id)) registry.terminals.restore(id, s.snapshot, s.seq);
}

export interface EventServices {
  readonly nats: NatsHandle;
  readonly consumer: EventConsumer;
  readonly requests: RequestServer;
  close(): Promise<void>;
}

export async function startEventServices(
  config: VetoConfig,
  engine: DecisionEngine,
  registry: EntityRegistry,
  store: RedisStateStore,
  log: FastifyBaseLogger,
): Promise<EventServices> {
  const url = config.services.natsUrl as string;
  const prefix = config.services.subjectPrefix;
  const subjects = subjectsFor(prefix);
  const nats = await connectNats({
    url,
    name: 'veto-engine',
    onStatus: (e) => log.warn({ nats: e.type, detail: e.detail }, `NATS ${e.type}`),
  });
  log.info({ natsServer: nats.serverVersion() }, `connected to NATS ${nats.serverVersion() ?? ''}`);
  const jsm = await jetstreamManager(nats.nc);
  const streams = await ensureStreams(jsm, { prefix, duplicateWindowMs: config.services.duplicateWindowMs });
  await ensureConsumer(jsm, streams.events, config.services.durable, {
    ackWaitMs: config.services.ackWaitMs,
    maxAckPending: Math.max(1024, config.services.fetchBatch * 2),
  });
  const js = jetstream(nats.nc);
  const processor = new EventProcessor(
    engine,
    registry,
    store,
    {
      publishDecision: async (r) => void (await publishDecision(js, subjects.decision(r.accountId), JSON.stringify(r), r.txId)),
      deadLetter: async (reason, ev, error) => {
        log.warn({ reason, subject: ev.subject, seq: ev.seq, error }, 'dead-lettered an event');
        await publishDlq(js, prefix, reason, { subject: ev.subject, payload: ev.data, error, seq: ev.seq, ...(ev.headers ? { headers: ev.headers } : {}) });
      },
    },
    { prefix, maxResident: config.state.maxResident, idleMs: config.state.idleSeconds * 1000 },
  );
  let storeFailedAt = 0;
  const consumer = new EventConsumer(js, {
    stream: streams.events,
    durable: config.services.durable,
    batchSize: config.services.fetchBatch,
    // Pause while Redis is down, and for a second after a failed commit.
    paused: () => !store.isUp() || Date.now() - storeFailedAt < 1000,
    onError: (err) => log.warn({ err }, 'event consumer'),
  });
  consumer.start(async (batch) => {
    try {
      return await processor.process(batch);
    } catch (err) {
      storeFailedAt = Date.now();
      log.warn({ err, first: batch[0]?.seq, last: batch.at(-1)?.seq }, 'batch not committed; it will be redelivered');
      return { ack: [], nak: batch.map((m) => ({ seq: m.seq, delayMs: 1000 })) };
    }
  });
  const requests = serveRequests(
    nats.nc,
    subjects.authorize,
    'veto',
    async (json) => {
      const checked = validateTransaction.check(json);
      if (!checked.ok) throw new InvalidEventError(checked.problems.join('; '));
      const { record, replayed } = await engine.authorize(checked.value);
      return toDecisionResponse(record, replayed, false);
    },
    { onError: (err) => log.error({ err }, 'authorize request failed') },
  );
  log.info({ subjects: `${prefix}.{tx,account,label}.<accountId>`, stream: streams.events, durable: config.services.durable }, 'consuming events');
  return {
    nats,
    consumer,
    requests,
    async close() {
      await requests.stop();
      await consumer.stop();
      await nats.close();
    },
  };
}
