/**
 * EventConsumer: pulls the EVENTS stream through one durable pull consumer
 * (see `ensureConsumer`) and hands it, batch by batch and in stream order, to
 * a handler that says which sequences to ack or nak.
 *
 * Ordering. With a single pull consumer and one outstanding fetch, messages
 * arrive in stream order, and the server sends pending redeliveries before
 * new messages. A redelivery only becomes pending once its ack wait (or nak
 * delay) expires, though — a fetch made before that gets NEWER messages
 * first. So the consumer does not fetch while messages it left unsettled can
 * still come back:
 * - after a batch with messages neither acked nor naked, it waits the ack
 *   wait (+250 ms) before the next fetch; after naks with a delay, the
 *   longest delay (+250 ms);
 * - on start and after any fetch/ack error, it reads the consumer info and,
 *   when messages are still awaiting acks (a previous process crashed, or a
 *   fetch died with the connection), waits until the last delivery's ack
 *   wait has passed.
 * Redeliveries then come first, in sequence order, with `redelivered: true`.
 * Handlers must still be idempotent (at-least-once delivery).
 *
 * Latency. A pull request only ends when its batch is full or it expires,
 * so a fetch asks for exactly the number of messages the server said were
 * pending (`info.pending` of the last message; 1 when none): a lone event is
 * handed over at once, a backlog in batches of up to `batchSize`.
 *
 * Acks are sent after the handler resolves: naks, then acks, the last one
 * as a double ack (`ackAck`; the server processes a consumer's acks in
 * order, so it confirms the batch). While the handler runs, `working()` is
 * sent every third of the ack wait. Fetch errors (disconnects, server
 * restarts, a missing consumer) go to `onError` and are retried with
 * backoff; the loop never throws and resumes from the durable consumer.
 */
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { millis } from '@nats-io/transport-node';
import { AckError, BatchHandlerError, FetchError } from './errors.js';

export interface InboundEvent {
  /** Stream sequence. */
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Headers, last value per name. */
  readonly headers: Record<string, string>;
  readonly redelivered: boolean;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** The `Nats-Msg-Id` header, when set. */
  readonly msgId?: string;
}

export interface BatchResult {
  /** Sequences to ack. */
  readonly ack: readonly number[];
  /** Sequences to redeliver after `delayMs`. Anything neither acked nor naked is redelivered after the ack wait. */
  readonly nak?: readonly { readonly seq: number; readonly delayMs: number }[];
}

export type BatchHandler = (batch: InboundEvent[]) => Promise<BatchResult>;

export interface EventConsumerOptions {
  readonly stream: string;
  readonly durable: string;
  /** Most messages per batch (default 256; keep ≤ the consumer's max ack pending). */
  readonly batchSize?: number;
  /** Expiry of one pull request (default 1000 ms, minimum 1000). */
  readonly fetchExpiresMs?: number;
  /** Checked before each fetch; while true nothing is fetched (e.g. while Redis is down). */
  readonly paused?: () => boolean;
  /** Wait between checks of `paused` (default 200 ms). */
  readonly pausePollMs?: number;
  /** Fetch, ack and handler errors (default: console.error). */
  readonly onError?: (err: Error) => void;
  /** Backoff after failures: initial and maximum (defaults 250 ms, 5000 ms). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Timeout of the double ack confirming a batch's acks (default 5000 ms). */
  readonly ackTimeoutMs?: number;
}

/** Extra wait after an ack wait / nak delay so the server has queued the redeliveries. */
const REDELIVERY_MARGIN_MS = 250;

export class EventConsumer {
  private readonly batchSize: number;
  private readonly expiresMs: number;
  private readonly paused: () => boolean;
  private readonly pausePollMs: number;
  private readonly onError: (err: Error) => void;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private consumer?: Consumer;
  private current?: ConsumerMessages;
  private stopping = false;
  private checkPending = true;
  private holdUntil = 0;
  private nextSize = 1;
  private ackWaitMs = 30_000;
  private failures = 0;
  private lastSettled = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: EventConsumerOptions,
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 256);
    this.expiresMs = Math.max(1000, options.fetchExpiresMs ?? 1000);
    this.paused = options.paused ?? (() => false);
    this.pausePollMs = options.pausePollMs ?? 200;
    this.onError = options.onError ?? ((err) => console.error(err));
  }

  /** True between start() and the end of stop(). */
  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Starts the pull loop (once). */
  start(handler: BatchHandler): void {
    if (this.loop || this.stopping) throw new Error('EventConsumer already started');
    this.loop = this.run(handler);
  }

  /** Stops fetching, lets the batch in progress finish (handler and acks), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.current?.stop();
    await this.loop;
    this.loop = undefined;
  }

  private async run(handler: BatchHandler): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step(handler);
      } catch (err) {
        this.failures++;
        this.consumer = undefined;
        this.checkPending = true;
        this.report(new FetchError(this.options.stream, this.options.durable, { cause: err }));
        const backoff = Math.min(this.options.retryMaxMs ?? 5000, (this.options.retryInitialMs ?? 250) * 2 ** Math.min(this.failures - 1, 10));
        await this.sleep(backoff * (0.75 + Math.random() * 0.5));
      }
    }
  }

  private async step(handler: BatchHandler): Promise<void> {
    if (this.paused()) return this.sleep(this.pausePollMs);
    const hold = this.holdUntil - Date.now();
    if (hold > 0) return this.sleep(Math.min(hold, this.pausePollMs));
    const consumer = this.consumer ?? (this.consumer = await this.js.consumers.get(this.options.stream, this.options.durable));
    if (this.checkPending) {
      await this.checkOutstanding(consumer);
      if (this.holdUntil > Date.now()) return;
    }
    const msgs = await this.fetch(consumer);
    this.failures = 0;
    if (msgs.length === 0) return;
    await this.process(handler, msgs);
  }

  /** Reads the consumer info; when deliveries await acks, holds fetching until their ack wait passed. */
  private async checkOutstanding(consumer: Consumer): Promise<void> {
    const info = await consumer.info(false);
    this.ackWaitMs = info.config.ack_wait ? millis(info.config.ack_wait) : 30_000;
    this.nextSize = info.num_pending;
    if (info.num_ack_pending > 0) {
      // typed as Nanos by nats.js, but 2.9 servers send an ISO timestamp
      const raw: unknown = info.delivered.last_active;
      const last = typeof raw === 'string' ? Date.parse(raw) : typeof raw === 'number' ? raw / 1e6 : NaN;
      // the later of the last delivery and our last batch (its working() calls restarted the timers)
      const since = Math.max(Number.isFinite(last) ? last : Date.now(), this.lastSettled);
      const waitMs = Math.min(this.ackWaitMs, Math.max(0, since + this.ackWaitMs - Date.now()));
      this.holdUntil = Math.max(this.holdUntil, Date.now() + waitMs + REDELIVERY_MARGIN_MS);
    }
    this.checkPending = false;
  }

  private async fetch(consumer: Consumer): Promise<JsMsg[]> {
    const size = Math.min(this.batchSize, Math.max(1, this.nextSize));
    const iter = await consumer.fetch({ max_messages: size, expires: this.expiresMs });
    this.current = iter;
    if (this.stopping) iter.stop();
    const watchdog = setTimeout(() => iter.stop(new Error(`fetch did not end within ${2 * this.expiresMs + 5000} ms`)), 2 * this.expiresMs + 5000);
    const msgs: JsMsg[] = [];
    try {
      for await (const m of iter) msgs.push(m);
    } catch (err) {
      if (msgs.length === 0) throw err;
      // the messages received so far are a valid prefix: hand them over, re-check the rest
      this.checkPending = true;
      this.report(new FetchError(this.options.stream, this.options.durable, { cause: err }));
    } finally {
      clearTimeout(watchdog);
      this.current = undefined;
    }
    const last = msgs[msgs.length - 1];
    this.nextSize = last ? last.info.pending : 1;
    return msgs;
  }

  private async process(handler: BatchHandler, msgs: JsMsg[]): Promise<void> {
    const events = msgs.map(toInboundEvent);
    const keepAlive = setInterval(() => {
      try {
        for (const m of msgs) m.working();
      } catch { /* closed connection: the acks will fail and be reported */ }
    }, Math.max(500, Math.floor(this.ackWaitMs / 3)));
    let result: BatchResult;
    try {
      result = await handler(events);
    } catch (err) {
      this.report(new BatchHandlerError(msgs[0]?.seq ?? 0, msgs[msgs.length - 1]?.seq ?? 0, { cause: err }));
      result = { ack: [] };
    } finally {
      clearInterval(keepAlive);
    }
    await this.settle(msgs, result);
  }

  private async settle(msgs: JsMsg[], result: BatchResult): Promise<void> {
    this.lastSettled = Date.now();
    const bySeq = new Map(msgs.map((m) => [m.seq, m]));
    const settled = new Set<number>();
    const naks: [JsMsg, number][] = [];
    let holdMs = 0;
    for (const { seq, delayMs } of result.nak ?? []) {
      const m = bySeq.get(seq);
      if (!m || settled.has(seq)) continue;
      const delay = Math.max(0, Math.floor(delayMs));
      naks.push([m, delay]);
      settled.add(seq);
      if (delay > 0) holdMs = Math.max(holdMs, delay + REDELIVERY_MARGIN_MS);
    }
    naks.sort((a, b) => a[0].seq - b[0].seq);
    const acks: JsMsg[] = [];
    for (const seq of [...new Set(result.ack)].sort((a, b) => a - b)) {
      const m = bySeq.get(seq);
      if (!m || settled.has(seq)) continue;
      acks.push(m);
      settled.add(seq);
    }
    if (settled.size < msgs.length) holdMs = Math.max(holdMs, this.ackWaitMs + REDELIVERY_MARGIN_MS);
    if (holdMs > 0) this.holdUntil = Date.now() + holdMs;
    const lastAck = acks.pop();
    try {
      for (const [m, delay] of naks) m.nak(delay > 0 ? delay : undefined);
      for (const m of acks) m.ack();
      if (!lastAck) return;
      const confirmed = await lastAck.ackAck({ timeout: this.options.ackTimeoutMs ?? 5000 });
      if (!confirmed) throw new Error('the server did not confirm the acks');
    } catch (err) {
      // the server may not have the acks: those messages come back after the ack wait
      this.checkPending = true;
      this.report(new AckError(this.options.stream, this.options.durable, { cause: err }));
    }
  }

  private report(err: Error): void {
    try {
      this.onError(err);
    } catch {
      // a failing error sink must not stop the loop
    }
  }

  /** Sleeps `ms`, or less when stop() is called. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done);
    });
  }
}

/** Converts a JetStream message to the handler's view. */
export function toInboundEvent(m: JsMsg): InboundEvent {
  const headers: Record<string, string> = {};
  if (m.headers) {
    for (const key of m.headers.keys()) headers[key] = m.headers.last(key);
  }
  const msgId = headers['Nats-Msg-Id'];
  return {
    seq: m.seq,
    subject: m.subject,
    data: m.data,
    headers,
    redelivered: m.redelivered,
    deliveryCount: m.info.deliveryCount,
    ...(msgId !== undefined ? { msgId } : {}),
  };
}
