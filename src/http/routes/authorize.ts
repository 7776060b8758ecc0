/** POST /v1/authorize — one transaction in, allow / review / block out. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DecisionRecord } from '../../adapters/decision-store.js';
import type { DecisionEngine } from '../../engine/engine.js';
import { ApiError } from '../errors.js';
import { AuthorizeBody, AuthorizeQuery, DecisionResponse, ErrorResponse } from '../schemas.js';

export function toDecisionResponse(record: DecisionRecord, replayed: boolean, withFeatures: boolean) {
  return {
    txId: record.txId,
    decision: record.decision,
    score: record.score,
    reasons: record.reasons.map((r) => ({ code: r.code, detail: r.detail })),
    modelVersion: record.modelVersion,
    ...(withFeatures ? { features: record.features } : {}),
    latencyMs: record.latencyMs,
    replayed,
  };
}

export const authorizeRoutes = (engine: DecisionEngine): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/authorize',
      {
        schema: {
          summary: 'Decide a transaction: allow, review or block, with reasons',
          tags: ['authorization'],
          body: AuthorizeBody,
          querystring: AuthorizeQuery,
          response: { 200: DecisionResponse, 400: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 500: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => {
        const body = request.body;
        if (Number.isNaN(Date.parse(body.timestamp))) throw new ApiError('VALIDATION_FAILED', 'timestamp is not a valid time');
        const { record, replayed } = await engine.authorize({
          txId: body.txId,
          accountId: body.accountId,
          terminalId: body.terminalId,
          amount: body.amount,
          currency: body.currency,
          timestamp: body.timestamp,
          ...(body.deviceId !== undefined ? { deviceId: body.deviceId } : {}),
        });
        return toDecisionResponse(record, replayed, request.query.features === 'true');
      },
    );
  };
