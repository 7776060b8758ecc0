/** TypeBox schemas of the HTTP API: every body and every response code, no additional properties. */
import { Type, type Static } from '@sinclair/typebox';

/** Identifiers are also NATS subject tokens and Redis key parts: no dots, wildcards or spaces. */
export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_:@=+-]+$' });
export const MAX_REQUEST_AMOUNT = 1e9;

export const AuthorizeBody = Type.Object(
  {
    txId: Id,
    accountId: Id,
    terminalId: Id,
    amount: Type.Number({ minimum: 0, maximum: MAX_REQUEST_AMOUNT, description: 'Amount in currency units (e.g. 12.50)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
    timestamp: Type.String({ format: 'date-time', maxLength: 40, description: 'Event time, ISO 8601 with offset' }),
    merchantId: Type.Optional(Id),
    channel: Type.Optional(Type.Union([Type.Literal('card_present'), Type.Literal('ecommerce'), Type.Literal('moto'), Type.Literal('atm'), Type.Literal('other')])),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
    deviceId: Type.Optional(Id),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), { maxProperties: 32 }),
    ),
  },
  { additionalProperties: false, $id: 'AuthorizeRequest' },
);
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
