/**
 * The JetStream streams and the durable consumer of veto (works on
 * nats-server 2.9+: no subject transforms, no multi-filter consumers, no
 * priority groups, no metadata are used).
 *
 * | stream (default name) | subjects                                   | why                                   |
 * |-----------------------|--------------------------------------------|---------------------------------------|
 * | `VETO_EVENTS`         | `veto.tx.>`, `veto.account.>`, `veto.label.>` | the input, in one order (one sequence) |
 * | `VETO_DECISIONS`      | `veto.decision.>`                           | durable decisions (msgID = txId)      |
 * | `VETO_DLQ`            | `veto.dlq.>`                                | malformed messages with their error   |
 *
 * All three: file storage, limits retention, discard old, a duplicate window
 * (default 2 min) for `Nats-Msg-Id` de-duplication.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { causeMessage, ConsumerConfigError, StreamConfigError } from './errors.js';
import { assertPrefix, DEFAULT_PREFIX, defaultStreamNames } from './subjects.js';

export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

export interface EnsureStreamsOptions {
  /** Subject prefix (default `veto`). */
  readonly prefix?: string;
  /** Stream names (defaults derived from the prefix: `VETO_EVENTS`, `VETO_DECISIONS`, `VETO_DLQ`). */
  readonly eventsStream?: string;
  readonly decisionsStream?: string;
  readonly dlqStream?: string;
  /** De-duplication window for `Nats-Msg-Id` (default 2 min). */
  readonly duplicateWindowMs?: number;
  /** Replicas of each stream (default 1; a single server only supports 1). */
  readonly replicas?: number;
}

export interface StreamNames {
  readonly events: string;
  readonly decisions: string;
  readonly dlq: string;
}

export interface EnsuredStreams extends StreamNames {
  /** What was done per stream. */
  readonly actions: Readonly<Record<'events' | 'decisions' | 'dlq', 'created' | 'updated' | 'unchanged'>>;
}

/** The stream names for the options (defaults derived from the prefix). */
export function streamNamesFor(options: EnsureStreamsOptions = {}): StreamNames {
  const defaults = defaultStreamNames(options.prefix ?? DEFAULT_PREFIX);
  return {
    events: options.eventsStream ?? defaults.events,
    decisions: options.decisionsStream ?? defaults.decisions,
    dlq: options.dlqStream ?? defaults.dlq,
  };
}

/**
 * Creates the three streams, or validates existing ones: differing subjects,
 * duplicate window or replicas are updated; another storage or retention, or
 * subjects overlapping another stream, throw StreamConfigError. Idempotent.
 */
export async function ensureStreams(jsm: JetStreamManager, options: EnsureStreamsOptions = {}): Promise<EnsuredStreams> {
  const p = assertPrefix(options.prefix ?? DEFAULT_PREFIX);
  const names = streamNamesFor(options);
  const base = {
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    num_replicas: options.replicas ?? 1,
  };
  const events = await ensureStream(jsm, {
    ...base,
    name: names.events,
    subjects: [`${p}.tx.>`, `${p}.account.>`, `${p}.label.>`],
    description: `veto events (${p}): transactions, account events, labels`,
  });
  const decisions = await ensureStream(jsm, {
    ...base,
    name: names.decisions,
    subjects: [`${p}.decision.>`],
    description: `veto decisions (${p}), msgID = txId`,
  });
  const dlq = await ensureStream(jsm, {
    ...base,
    name: names.dlq,
    subjects: [`${p}.dlq.>`],
    description: `veto dead letters (${p}): malformed messages and their errors`,
  });
  return { ...names, actions: { events, decisions, dlq } };
}

interface WantedStream {
  readonly name: string;
  readonly subjects: string[];
  readonly description: string;
  readonly duplicate_window: number;
  readonly num_replicas: number;
}

async function ensureStream(jsm: JetStreamManager, want: WantedStream): Promise<'created' | 'updated' | 'unchanged'> {
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(want.name);
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) {
      throw new StreamConfigError(want.name, `cannot read the stream: ${causeMessage(err)}`, { cause: err });
    }
  }
  if (!info) {
    const config: Partial<StreamConfig> & { name: string } = {
      ...want,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
    };
    try {
      await jsm.streams.add(config);
      return 'created';
    } catch (err) {
      throw new StreamConfigError(want.name, `cannot create it on ${want.subjects.join(', ')}: ${causeMessage(err)}`, { cause: err });
    }
  }
  const have = info.config;
  if (have.storage !== StorageType.File) {
    throw new StreamConfigError(want.name, `exists with ${have.storage} storage; veto needs file storage (delete or rename the stream)`);
  }
  if (have.retention !== RetentionPolicy.Limits) {
    throw new StreamConfigError(want.name, `exists with ${have.retention} retention; veto needs limits retention (delete or rename the stream)`);
  }
  if (have.mirror) {
    throw new StreamConfigError(want.name, 'exists as a mirror; veto needs a stream that captures its subjects');
  }
  const sameSubjects = sameSet(have.subjects ?? [], want.subjects);
  if (sameSubjects && have.duplicate_window === want.duplicate_window && have.num_replicas === want.num_replicas) {
    return 'unchanged';
  }
  try {
    await jsm.streams.update(want.name, {
      subjects: want.subjects,
      duplicate_window: want.duplicate_window,
      num_replicas: want.num_replicas,
    });
    return 'updated';
  } catch (err) {
    throw new StreamConfigError(
      want.name,
      `exists with subjects ${(have.subjects ?? []).join(', ')}; updating it to ${want.subjects.join(', ')} failed: ${causeMessage(err)}`,
      { cause: err },
    );
  }
}

export interface EnsureConsumerOptions {
  /** How long a delivered message may stay unacked before redelivery (default 30 s). */
  readonly ackWaitMs?: number;
  /** Most unacked messages at once (default 1024; must be ≥ the fetch batch size). */
  readonly maxAckPending?: number;
  /** Deliveries before the server gives up on a message (default -1: unlimited). */
  readonly maxDeliver?: number;
}

/**
 * Creates (or checks and updates) a durable PULL consumer on `stream`:
 * explicit acks, DeliverPolicy.All, instant replay, no filter (it sees every
 * message of the stream in sequence order). An existing push consumer or
 * one with another ack/deliver policy or a filter throws ConsumerConfigError;
 * differing ack wait, max ack pending or max deliver are updated.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  options: EnsureConsumerOptions = {},
): Promise<ConsumerInfo> {
  const want = {
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_ack_pending: options.maxAckPending ?? 1024,
    max_deliver: options.maxDeliver ?? -1,
  };
  let info: ConsumerInfo | undefined;
  try {
    info = await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) {
      throw new ConsumerConfigError(stream, durable, `cannot read the consumer: ${causeMessage(err)}`, { cause: err });
    }
  }
  if (!info) {
    try {
      return await jsm.consumers.add(stream, {
        ...want,
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        description: 'veto event consumer',
      });
    } catch (err) {
      throw new ConsumerConfigError(stream, durable, `cannot create it: ${causeMessage(err)}`, { cause: err });
    }
  }
  const c = info.config;
  if (c.deliver_subject) {
    throw new ConsumerConfigError(stream, durable, 'exists as a push consumer; veto needs a pull consumer (delete it)');
  }
  if (c.ack_policy !== AckPolicy.Explicit || c.deliver_policy !== DeliverPolicy.All) {
    throw new ConsumerConfigError(stream, durable, `exists with ack policy ${c.ack_policy} and deliver policy ${c.deliver_policy}; veto needs explicit / all (delete it)`);
  }
  if (c.filter_subject && c.filter_subject !== '>') {
    throw new ConsumerConfigError(stream, durable, `exists with filter ${c.filter_subject}; veto needs every message of the stream (delete it)`);
  }
  if (c.ack_wait === want.ack_wait && c.max_ack_pending === want.max_ack_pending && (c.max_deliver ?? -1) === want.max_deliver) {
    return info;
  }
  try {
    return await jsm.consumers.update(stream, durable, want);
  } catch (err) {
    throw new ConsumerConfigError(stream, durable, `cannot update ack wait / max ack pending / max deliver: ${causeMessage(err)}`, { cause: err });
  }
}

/** True when `err` is a JetStream API error with the given error code. */
export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
