/**
 * Errors of the NATS adapter: one class per condition, each with a stable
 * `code` and the underlying nats.js error as `cause`.
 */
import { VetoError } from '../../engine/errors.js';

/** A subject token (prefix part, account id, DLQ reason) is empty or holds '.', '*', '>' or whitespace. */
export class InvalidSubjectTokenError extends VetoError {
  constructor(
    readonly what: string,
    readonly token: string,
  ) {
    super('NATS_INVALID_SUBJECT_TOKEN', `${what} ${JSON.stringify(token)} is not a valid NATS subject token (non-empty, no '.', '*', '>' or whitespace)`);
  }
}

/** The NATS server could not be reached (at startup, or the connection is closed). */
export class NatsUnavailableError extends VetoError {
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_UNAVAILABLE', `NATS server at ${url} is not available: ${causeMessage(options?.cause)}`, options);
  }
}

/** JetStream is not enabled on the server / account. */
export class JetStreamUnavailableError extends VetoError {
  constructor(options?: { cause?: unknown }) {
    super('JETSTREAM_UNAVAILABLE', `JetStream is not available: ${causeMessage(options?.cause)}`, options);
  }
}

/** A stream could not be created or updated, or an existing one is incompatible (e.g. overlapping subjects, other storage). */
export class StreamConfigError extends VetoError {
  constructor(
    readonly stream: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_STREAM_CONFIG', `stream ${stream}: ${message}`, options);
  }
}

/** A durable consumer could not be created, or an existing one is incompatible (e.g. a push consumer). */
export class ConsumerConfigError extends VetoError {
  constructor(
    readonly stream: string,
    readonly durable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_CONSUMER_CONFIG', `consumer ${stream}/${durable}: ${message}`, options);
  }
}

/** A JetStream publish got no (positive) PubAck. */
export class PublishError extends VetoError {
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_PUBLISH_FAILED', `publish to ${subject} failed: ${causeMessage(options?.cause)}`, options);
  }
}

/** Pulling a batch from the durable consumer failed (retried with backoff by the EventConsumer). */
export class FetchError extends VetoError {
  constructor(
    readonly stream: string,
    readonly durable: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_FETCH_FAILED', `fetch from ${stream}/${durable} failed: ${causeMessage(options?.cause)}`, options);
  }
}

/** Acks of a batch were not confirmed by the server (the messages will be redelivered). */
export class AckError extends VetoError {
  constructor(
    readonly stream: string,
    readonly durable: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_ACK_FAILED', `acks on ${stream}/${durable} not confirmed: ${causeMessage(options?.cause)}`, options);
  }
}

/** The batch handler of an EventConsumer threw; nothing of the batch was acked. */
export class BatchHandlerError extends VetoError {
  constructor(
    readonly firstSeq: number,
    readonly lastSeq: number,
    options?: { cause?: unknown },
  ) {
    super('NATS_BATCH_HANDLER_FAILED', `batch handler failed on seq ${firstSeq}..${lastSeq}: ${causeMessage(options?.cause)}`, options);
  }
}

/** A request handler of `serveRequests` threw, or its reply could not be sent. */
export class RequestHandlerError extends VetoError {
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super('NATS_REQUEST_HANDLER_FAILED', `request on ${subject} failed: ${causeMessage(options?.cause)}`, options);
  }
}

/** The message of an unknown thrown value. */
export function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (cause === undefined) return 'unknown error';
  return String(cause);
}
