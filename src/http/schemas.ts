/** TypeBox schemas of the HTTP API: every body and every response code, no additional properties. */
import { Type, type Static } from '@sinclair/typebox';

import { TransactionPayload } from '../domain/event-schemas.js';

export { Id, MAX_REQUEST_AMOUNT } from '../domain/event-schemas.js';
/** The authorization request: the same schema as a `veto.tx.<accountId>` payload. */
export const AuthorizeBody = TransactionPayload;
export type AuthorizeBody = Static<typeof AuthorizeBody>;

export const AuthorizeQuery = Type.Object(
  { features: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Include the feature vector in the answer' })) },
  { additionalProperties: false },
);

export const ReasonSchema = Type.Object({ code: Type.String(), detail: Type.String() }, { additionalProperties: false });

export const DecisionResponse = Type.Object(
  {
    txId: Type.String(),
    decision: Type.Union([Type.Literal('allow'), Type.Literal('review'), Type.Literal('block')]),
    score: Type.Union([Type.Number(), Type.Null()], { description: 'Fraud probability; null when scoring was degraded' }),
    reasons: Type.Array(ReasonSchema),
    modelVersion: Type.String(),
    features: Type.Optional(Type.Record(Type.String(), Type.Number())),
    latencyMs: Type.Number({ description: 'Engine time spent on the original decision' }),
    replayed: Type.Boolean({ description: 'True when a retry was answered from the recorded decision' }),
  },
  { additionalProperties: false, $id: 'Decision' },
);

export const ErrorResponse = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }))),
  },
  { additionalProperties: false, $id: 'Error' },
);

export const HealthResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    version: Type.String(),
    mode: Type.String({ description: 'embedded (in-process adapters) or the configured services' }),
    tfBackend: Type.String(),
    modelVersion: Type.String(),
    uptimeSeconds: Type.Number(),
  },
  { additionalProperties: false },
);

export const ReadyResponse = Type.Object(
  { ready: Type.Boolean(), checks: Type.Record(Type.String(), Type.Boolean()) },
  { additionalProperties: false },
);
