/**
 * The one catalogue of API error codes and their HTTP statuses. Every error
 * response is `{ code, message, requestId }` (+ `details` for validation).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { VetoError } from '../engine/errors.js';

export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, description: 'The request does not match the schema (missing field, wrong type, out-of-range value).' },
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  EMPTY_BODY: { status: 400, description: 'A JSON body is required.' },
  INVALID_CASE_QUERY: { status: 400, description: 'Bad case query: filter, cursor or limit.' },
  INVALID_EVENT: { status: 400, description: 'The transaction is not acceptable to the engine (e.g. an unparseable time).' },
  UNAUTHORIZED: { status: 401, description: 'Missing or unknown API key.' },
  FORBIDDEN: { status: 403, description: "The API key's role does not allow this route." },
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  CONFLICT: { status: 409, description: 'The resource was changed by someone else (e.g. a case already resolved); reload and retry.' },
  IDEMPOTENCY_CONFLICT: { status: 409, description: 'The txId was already decided for a different transaction.' },
  BODY_TOO_LARGE: { status: 413, description: 'The body exceeds the configured size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'Send application/json.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests.' },
  CASE_STORE_CORRUPT: { status: 500, description: 'A stored case could not be read.' },
  CASE_STORE_REJECTED: { status: 500, description: 'The case store refused a write.' },
  STATE_STORE_CORRUPT: { status: 500, description: 'A stored snapshot or decision could not be read.' },
  STATE_STORE_REJECTED: { status: 500, description: 'The feature store refused a write.' },
  ACTOR_FAILED: { status: 500, description: 'An entity actor failed on this event; its state was kept.' },
  INTERNAL: { status: 500, description: 'Unexpected error.' },
  NOT_READY: { status: 503, description: 'The engine is starting or stopping.' },
  CASE_STORE_UNAVAILABLE: { status: 503, description: 'The case store (Redis) is unavailable.' },
  STATE_STORE_UNAVAILABLE: { status: 503, description: 'The feature store (Redis) is unavailable and the state needed could not be read.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/** Maps any error to a catalogue code. */
export function classify(error: unknown): { code: ErrorCode; message: string; details?: unknown } {
  if (error instanceof ApiError) return { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
  if (error instanceof VetoError && error.code in ERROR_CATALOGUE) return { code: error.code as ErrorCode, message: error.message };
  const e = error as FastifyError;
  if (e.validation) {
    return { code: 'VALIDATION_FAILED', message: e.message, details: e.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid' })) };
  }
  const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return { code: mapped, message: e.message };
  if (e instanceof SyntaxError) return { code: 'INVALID_JSON', message: e.message };
  if (e.statusCode === 429) return { code: 'RATE_LIMITED', message: e.message };
  return { code: 'INTERNAL', message: 'internal error' };
}

export function installErrorHandling(app: FastifyInstance, onError?: (code: ErrorCode) => void): void {
  app.setErrorHandler((error, request, reply) => {
    const { code, message, details } = classify(error);
    const status = ERROR_CATALOGUE[code].status;
    onError?.(code);
    if (status >= 500) request.log.error({ err: error, code }, 'request failed');
    else request.log.debug({ code, message }, 'request rejected');
    void reply.status(status).send({ code, message, requestId: request.id, ...(details !== undefined ? { details } : {}) });
  });
  app.setNotFoundHandler((request, reply) => {
    onError?.('NOT_FOUND');
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}`, requestId: request.id });
  });
}
