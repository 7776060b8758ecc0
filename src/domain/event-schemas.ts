/**
 * JSON schemas (TypeBox) of everything veto accepts: the authorization
 * request (HTTP body, `veto.authorize` and `veto.tx.<accountId>` payloads),
 * account events and fraud labels — plain JSON any client can publish — and
 * a compiled validator for each. Pure.
 */
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Identifiers are also NATS subject tokens and Redis key parts: no dots, wildcards or spaces. */
export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_:@=+-]+$' });
export const MAX_REQUEST_AMOUNT = 1e9;
const DateTime = Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 with offset' });

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
}

export const TransactionPayload = Type.Object(
  {
    txId: Id,
    accountId: Id,
    terminalId: Id,
    amount: Type.Number({ minimum: 0, maximum: MAX_REQUEST_AMOUNT, description: 'Amount in currency units (e.g. 12.50)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
    timestamp: { ...DateTime, description: 'Event time, ISO 8601 with offset' },
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
export type TransactionPayload = Static<typeof TransactionPayload>;

export const ACCOUNT_EVENT_TYPES = ['login', 'device_change', 'password_reset', 'contact_change', 'block', 'unblock'] as const;

export const AccountEventPayload = Type.Object(
  {
    eventId: Id,
    accountId: Id,
    type: Type.Union(ACCOUNT_EVENT_TYPES.map((t) => Type.Literal(t))),
    timestamp: DateTime,
    deviceId: Type.Optional(Id),
    reason: Type.Optional(Type.String({ maxLength: 256 })),
    by: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type AccountEventPayload = Static<typeof AccountEventPayload>;

export const LabelPayload = Type.Object(
  {
    txId: Id,
    label: Type.Union([Type.Literal('fraud'), Type.Literal('legit')]),
    source: Type.String({ minLength: 1, maxLength: 64, description: "e.g. 'chargeback', 'analyst'" }),
    timestamp: DateTime,
    eventId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type LabelPayload = Static<typeof LabelPayload>;

export interface Validator<T> {
  /** The value typed, or the list of problems. */
  check(value: unknown): { ok: true; value: T } | { ok: false; problems: string[] };
}

function compile<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    check(value) {
      if (compiled.Check(value)) return { ok: true, value: value as Static<S> };
      return { ok: false, problems: [...compiled.Errors(value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`) };
    },
  };
}

export const validateTransaction = compile(TransactionPayload);
export const validateAccountEvent = compile(AccountEventPayload);
export const validateLabel = compile(LabelPayload);
