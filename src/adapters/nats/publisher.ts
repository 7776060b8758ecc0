/**
 * Publishing decisions and dead letters, and serving `veto.authorize`
 * requests — all plain UTF-8 JSON, readable by any NATS client.
 *
 * - Decisions go to `<p>.decision.<accountId>` through JetStream with
 *   `msgID` = txId: the DECISIONS stream stores a decision once even when a
 *   redelivered event makes the engine publish it again.
 * - Dead letters go to `<p>.dlq.<reason>` as a JSON record holding the
 *   original subject, payload (UTF-8 text, or base64 with
 *   `payloadEncoding: 'base64'` when the bytes are not UTF-8), headers and the
 *   error.
 * - `veto.authorize` takes a JSON transaction and replies with JSON (queue
 *   group `veto`, so several engines share the load); invalid JSON gets
 *   `{ "code": "INVALID_JSON", "message": … }`.
 */
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { VetoError } from '../../engine/errors.js';
import { decodeJson, encodeJson, encodeUtf8, payloadAsText } from './codec.js';
import { PublishError, RequestHandlerError } from './errors.js';
import { subjectsFor } from './subjects.js';

export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when the stream already had a message with this msgID (within its duplicate window). */
  readonly duplicate: boolean;
}

export interface PublishOptions {
  /** PubAck timeout (default: the JetStream context's). */
  readonly timeoutMs?: number;
  /** Extra headers. */
  readonly headers?: Record<string, string>;
}

/**
 * Publishes one decision (JSON text or its UTF-8 bytes) through JetStream
 * with `Nats-Msg-Id` = `msgId` (the txId) and waits for the PubAck. A
 * duplicate is success (`duplicate: true`). Throws PublishError.
 */
export async function publishDecision(
  js: JetStreamClient,
  subject: string,
  json: string | Uint8Array,
  msgId: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  return jsPublish(js, subject, typeof json === 'string' ? encodeUtf8(json) : json, msgId, options);
}

export interface DeadLetter {
  /** Subject the message came in on. */
  readonly subject: string;
  /** The original bytes. */
  readonly payload: Uint8Array;
  /** Why it was rejected (an Error or a message). */
  readonly error: unknown;
  /** The original headers. */
  readonly headers?: Record<string, string>;
  /** Stream sequence of the original, when it came from a stream. */
  readonly seq?: number;
  /** De-duplication id of the dead letter (default: `<subject>:<seq>`, else `<subject>:<Nats-Msg-Id>`). */
  readonly msgId?: string;
}

/** The JSON body of a dead letter. */
export interface DeadLetterRecord {
  readonly reason: string;
  readonly subject: string;
  readonly payload: string;
  readonly payloadEncoding: 'utf8' | 'base64';
  readonly error: { readonly name: string; readonly code?: string; readonly message: string };
  readonly headers: Record<string, string>;
  readonly seq?: number;
  /** When veto rejected it (ISO 8601). */
  readonly at: string;
}

/**
 * Publishes a dead letter on `<prefix>.dlq.<reason>`. With a JetStream client
 * it waits for the PubAck (and de-duplicates); with a plain connection it is
 * fire-and-forget (the DLQ stream still captures it) and resolves undefined.
 */
export async function publishDlq(
  target: NatsConnection | JetStreamClient,
  prefix: string,
  reason: string,
  letter: DeadLetter,
  options: PublishOptions = {},
): Promise<PublishResult | undefined> {
  const subject = subjectsFor(prefix).dlq(reason);
  const record: DeadLetterRecord = {
    reason,
    subject: letter.subject,
    ...payloadAsText(letter.payload),
    error: describeError(letter.error),
    headers: { ...letter.headers },
    ...(letter.seq !== undefined ? { seq: letter.seq } : {}),
    at: new Date().toISOString(),
  };
  const originalId = letter.headers?.['Nats-Msg-Id'];
  const msgId = letter.msgId
    ?? (letter.seq !== undefined ? `${letter.subject}:${letter.seq}` : originalId !== undefined ? `${letter.subject}:${originalId}` : undefined);
  const data = encodeJson(record);
  if (isJetStream(target)) return jsPublish(target, subject, data, msgId, options);
  try {
    target.publish(subject, data, { headers: toHeaders(options.headers, msgId) });
  } catch (err) {
    throw new PublishError(subject, { cause: err });
  }
  return undefined;
}

export interface RequestServer {
  readonly subscription: Subscription;
  /** Stops taking requests, answers those already received, then resolves. */
  stop(): Promise<void>;
}

/**
 * Answers requests on `subject` in queue group `queue` (default `veto`):
 * the JSON body goes to `handler`, its result back as JSON. Requests are
 * handled concurrently. Invalid JSON → `{ code: 'INVALID_JSON', message }`;
 * a VetoError → `{ code, message }`; anything else → `{ code: 'INTERNAL' }`
 * (reported to `onError`). Messages without a reply subject are ignored.
 */
export function serveRequests(
  nc: NatsConnection,
  subject: string,
  queue: string | undefined,
  handler: (json: unknown) => Promise<object>,
  options: { onError?: (err: Error) => void } = {},
): RequestServer {
  const onError = options.onError ?? ((err: Error) => console.error(err));
  const inflight = new Set<Promise<void>>();
  const answer = async (msg: Msg): Promise<void> => {
    let body: object;
    const decoded = decodeJson(msg.data);
    if (!decoded.ok) {
      body = { code: 'INVALID_JSON', message: decoded.error };
    } else {
      try {
        body = await handler(decoded.value);
      } catch (err) {
        if (err instanceof VetoError) {
          body = { code: err.code, message: err.message };
        } else {
          onError(new RequestHandlerError(msg.subject, { cause: err }));
          body = { code: 'INTERNAL', message: 'internal error' };
        }
      }
    }
    try {
      msg.respond(encodeJson(body), { headers: toHeaders({ 'Content-Type': 'application/json' }) });
    } catch (err) {
      onError(new RequestHandlerError(msg.subject, { cause: err }));
    }
  };
  const subscription = nc.subscribe(subject, {
    queue: queue ?? 'veto',
    callback: (err, msg) => {
      if (err) {
        onError(new RequestHandlerError(subject, { cause: err }));
        return;
      }
      if (!msg.reply) return;
      const p = answer(msg).catch((e: unknown) => onError(new RequestHandlerError(subject, { cause: e })));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    },
  });
  return {
    subscription,
    stop: async () => {
      if (!subscription.isClosed() && !nc.isClosed()) await subscription.drain().catch(() => undefined);
      await Promise.allSettled([...inflight]);
    },
  };
}

async function jsPublish(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  msgId: string | undefined,
  options: PublishOptions,
): Promise<PublishResult> {
  let ack: PubAck;
  try {
    ack = await js.publish(subject, data, {
      ...(msgId !== undefined ? { msgID: msgId } : {}),
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.headers ? { headers: toHeaders(options.headers) } : {}),
    });
  } catch (err) {
    throw new PublishError(subject, { cause: err });
  }
  return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
}

function isJetStream(target: NatsConnection | JetStreamClient): target is JetStreamClient {
  return typeof (target as JetStreamClient).apiPrefix === 'string' && 'consumers' in target;
}

function toHeaders(values: Record<string, string> | undefined, msgId?: string): MsgHdrs | undefined {
  if (!values && msgId === undefined) return undefined;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(values ?? {})) h.set(k, v);
  if (msgId !== undefined) h.set('Nats-Msg-Id', msgId);
  return h;
}

function describeError(error: unknown): DeadLetterRecord['error'] {
  if (error instanceof VetoError) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
