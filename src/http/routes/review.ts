/**
 * The analysts' API: the case queue, case detail, assign and resolve
 * (optimistic concurrency: the loser gets 409), accounts (state, features,
 * block/unblock), the audit trail, decisions by txId, policy administration
 * and the labelled-decision export that feeds `veto train`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CaseStore } from '../../adapters/case-store.js';
import type { DecisionStore } from '../../adapters/decision-store.js';
import type { AuditEntry, CaseRecord } from '../../domain/case.js';
import { Id } from '../../domain/event-schemas.js';
import type { DecisionEngine } from '../../engine/engine.js';
import type { EntityRegistry } from '../../engine/entities.js';
import type { ReviewService } from '../../engine/review.js';
import { ROLES, callerOf, reviewRateLimit } from '../auth.js';
import { ApiError } from '../errors.js';
import { ErrorResponse } from '../schemas.js';
import { casesCsv } from './labels-export.js';

const Reason = Type.Object({ code: Type.String(), detail: Type.String() }, { additionalProperties: false });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
export const CaseSchema = Type.Object(
  {
    id: Type.String(),
    txId: Type.String(),
    accountId: Type.String(),
    terminalId: Type.String(),
    amount: Type.Number(),
    currency: Type.String(),
    timestamp: Type.String(),
    decision: Type.String(),
    score: Type.Union([Type.Number(), Type.Null()]),
    reasons: Type.Array(Reason),
    features: Type.Record(Type.String(), Type.Number()),
    modelVersion: Type.String(),
    status: Type.Union([Type.Literal('open'), Type.Literal('assigned'), Type.Literal('resolved')]),
    version: Type.Integer(),
    openedAt: Type.String(),
    assignee: Nullable(Type.String()),
    assignedAt: Nullable(Type.String()),
    verdict: Type.Union([Type.Literal('fraud'), Type.Literal('legit'), Type.Null()]),
    note: Nullable(Type.String()),
    resolvedBy: Nullable(Type.String()),
    resolvedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
const CasePage = Type.Object({ items: Type.Array(CaseSchema), nextCursor: Nullable(Type.String()) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
const TxParams = Type.Object({ txId: Id }, { additionalProperties: false });
const Errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse };
const AccountView = Type.Object(
  {
    accountId: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('blocked')]),
    block: Type.Union([Type.Object({ reason: Type.String(), atMs: Type.Number(), by: Type.String() }, { additionalProperties: false }), Type.Null()]),
    txCount: Type.Integer({ description: 'Transactions ever applied to the account' }),
    fraudLabels: Type.Integer(),
    lastEvents: Type.Record(Type.String(), Type.Number()),
    features: Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()], { description: 'Account features of its last transaction' }),
    recentTransactions: Type.Array(Type.Object({ timestamp: Type.String(), amount: Type.Number(), terminalId: Type.String() }, { additionalProperties: false })),
    recentCases: Type.Array(CaseSchema),
  },
  { additionalProperties: false },
);
const DecisionRecordSchema = Type.Object(
  {
    txId: Type.String(),
    accountId: Type.String(),
    terminalId: Type.String(),
    amount: Type.Number(),
    currency: Type.String(),
    deviceId: Type.Optional(Type.String()),
    timestamp: Type.String(),
    decision: Type.Union([Type.Literal('allow'), Type.Literal('review'), Type.Literal('block')]),
    score: Type.Union([Type.Number(), Type.Null()]),
    reasons: Type.Array(Reason),
    modelVersion: Type.String(),
    features: Type.Record(Type.String(), Type.Number()),
    latencyMs: Type.Number(),
    decidedAt: Type.String(),
  },
  { additionalProperties: false },
);
const Audit = Type.Array(
  Type.Object(
    { at: Type.String(), actor: Type.String(), role: Type.String(), action: Type.String(), target: Type.String(), detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
    { additionalProperties: false },
  ),
);

/** A case as the API returns it (mutable copies for the schema types). */
const caseBody = (c: CaseRecord) => ({ ...c, reasons: c.reasons.map((r) => ({ code: r.code, detail: r.detail })), features: { ...c.features } });

export interface ReviewRouteDeps {
  readonly review: ReviewService;
  readonly cases: CaseStore;
  readonly decisions: DecisionStore;
  readonly registry: EntityRegistry;
  readonly engine: DecisionEngine;
  /** Loads an account's actor when it is not resident (service mode). */
  readonly loadAccount: (accountId: string) => Promise<void>;
}

export const reviewRoutes = (d: ReviewRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const read = { roles: ROLES.analystRead, rateLimit: reviewRateLimit(app) };
    const write = { roles: ROLES.analystRead, rateLimit: reviewRateLimit(app) };
    const admin = { roles: ROLES.admin, rateLimit: reviewRateLimit(app) };

    app.get(
      '/v1/cases',
      {
        config: read,
        schema: {
          summary: 'The review queue (highest risk first by default), cursor-paginated',
          tags: ['review'],
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('assigned'), Type.Literal('resolved')])),
              decision: Type.Optional(Type.Union([Type.Literal('review'), Type.Literal('block')])),
              accountId: Type.Optional(Id),
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
              sort: Type.Optional(Type.Union([Type.Literal('score'), Type.Literal('time')])),
              limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
              cursor: Type.Optional(Type.String({ maxLength: 512 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: CasePage, ...Errors },
        },
      },
      async (req) => {
        const q = req.query;
        const limit = Math.min(200, Number(q.limit ?? 50));
        const page = await d.cases.list({
          sort: q.sort ?? 'score',
          limit,
          ...(q.status ? { status: q.status } : {}),
          ...(q.decision ? { decision: q.decision } : {}),
          ...(q.accountId ? { accountId: q.accountId } : {}),
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
        return { items: page.items.map(caseBody), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/cases/:id',
      { config: read, schema: { summary: 'A case with its account’s current state and features', tags: ['review'], params: IdParams, response: { 200: Type.Object({ case: CaseSchema, account: AccountView }, { additionalProperties: false }), ...Errors } } },
      async (req) => {
        const c = await d.review.get(req.params.id);
        return { case: caseBody(c), account: await accountView(d, c.accountId) };
      },
    );

    app.post(
      '/v1/cases/:id/assign',
      {
        config: write,
        schema: {
          summary: 'Assign a case (to the caller, or to a named analyst)',
          tags: ['review'],
          params: IdParams,
          body: Type.Optional(Type.Object({ assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false })),
          response: { 200: CaseSchema, ...Errors },
        },
      },
      async (req) => caseBody(await d.review.assign(req.params.id, callerOf(req), req.body?.assignee)),
    );

    app.post(
      '/v1/cases/:id/resolve',
      {
        config: write,
        schema: {
          summary: 'Resolve a case with a verdict; fraud feeds back as a label and blocks the account per policy',
          tags: ['review'],
          params: IdParams,
          body: Type.Object({ verdict: Type.Union([Type.Literal('fraud'), Type.Literal('legit')]), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
          response: { 200: CaseSchema, ...Errors },
        },
      },
      async (req) => caseBody(await d.review.resolve(req.params.id, callerOf(req), req.body.verdict, req.body.note ?? null)),
    );

    app.get(
      '/v1/accounts/:id',
      { config: read, schema: { summary: 'Account state, features, txCount and recent history', tags: ['accounts'], params: IdParams, response: { 200: AccountView, ...Errors } } },
      async (req) => accountView(d, req.params.id),
    );

    const Block = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });
    app.post(
      '/v1/accounts/:id/block',
      { config: admin, schema: { summary: 'Block an account: every transaction is blocked at once', tags: ['accounts'], params: IdParams, body: Block, response: { 200: AccountView, ...Errors } } },
      async (req) => {
        await d.review.block(req.params.id, req.body.reason, callerOf(req));
        return accountView(d, req.params.id);
      },
    );
    app.post(
      '/v1/accounts/:id/unblock',
      { config: admin, schema: { summary: 'Unblock an account', tags: ['accounts'], params: IdParams, body: Block, response: { 200: AccountView, ...Errors } } },
      async (req) => {
        await d.review.unblock(req.params.id, req.body.reason, callerOf(req));
        return accountView(d, req.params.id);
      },
    );

    app.get(
      '/v1/decisions/:txId',
      { config: read, schema: { summary: 'The recorded decision (audit trail): reasons, model version, features', tags: ['audit'], params: TxParams, response: { 200: DecisionRecordSchema, ...Errors } } },
      async (req) => {
        const r = await d.decisions.get(req.params.txId);
        if (r === undefined) throw new ApiError('NOT_FOUND', `no decision recorded for txId ${req.params.txId}`);
        return { ...r, reasons: r.reasons.map((x) => ({ code: x.code, detail: x.detail })), features: { ...r.features } };
      },
    );

    app.get(
      '/v1/audit',
      {
        config: admin,
        schema: {
          summary: 'Analyst actions: who, what, when',
          tags: ['audit'],
          querystring: Type.Object({ target: Type.Optional(Type.String({ maxLength: 256 })), limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })) }, { additionalProperties: false }),
          response: { 200: Audit, ...Errors },
        },
      },
      async (req) => (await d.cases.audit(req.query.target, Math.min(1000, Number(req.query.limit ?? 100)))).map((e: AuditEntry) => ({ ...e, ...(e.detail ? { detail: { ...e.detail } } : {}) })),
    );

    app.get(
      '/v1/labels/export',
      { config: read, schema: { summary: 'Labelled decisions (resolved cases) as a book-schema CSV for `veto train`', tags: ['review'], response: { 200: Type.String({ description: 'text/csv' }), ...Errors } } },
      async (_req, reply) => reply.type('text/csv; charset=utf-8').send(await casesCsv(d.cases)),
    );

    app.put(
      '/v1/admin/thresholds',
      {
        config: admin,
        schema: {
          summary: 'Change the score thresholds',
          tags: ['admin'],
          body: Type.Object({ review: Type.Number({ minimum: 0, maximum: 1 }), block: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ review: Type.Number(), block: Type.Number() }, { additionalProperties: false }), ...Errors },
        },
      },
      async (req) => {
        if (req.body.review > req.body.block) throw new ApiError('VALIDATION_FAILED', 'review must not exceed block');
        d.engine.policy = { ...d.engine.policy, thresholds: { ...req.body } };
        await d.review.audit(callerOf(req), 'admin.thresholds', 'policy', { ...req.body });
        return d.engine.policy.thresholds;
      },
    );

    const ListName = Type.Union(['blockAccounts', 'allowAccounts', 'blockTerminals', 'allowTerminals', 'blockDevices', 'allowDevices'].map((n) => Type.Literal(n)));
    app.put(
      '/v1/admin/lists/:list',
      {
        config: admin,
        schema: {
          summary: 'Replace a block or allow list',
          tags: ['admin'],
          params: Type.Object({ list: ListName }, { additionalProperties: false }),
          body: Type.Object({ ids: Type.Array(Id, { maxItems: 100_000 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ list: Type.String(), size: Type.Integer() }, { additionalProperties: false }), ...Errors },
        },
      },
      async (req) => {
        const list = req.params.list as keyof typeof d.engine.policy.lists;
        d.engine.policy = { ...d.engine.policy, lists: { ...d.engine.policy.lists, [list]: new Set(req.body.ids) } };
        await d.review.audit(callerOf(req), 'admin.lists', list, { size: req.body.ids.length });
        return { list, size: req.body.ids.length };
      },
    );
  };

async function accountView(d: ReviewRouteDeps, accountId: string) {
  await d.loadAccount(accountId);
  const snap = d.registry.accountSnapshot(accountId);
  const recentCases = (await d.cases.list({ accountId, sort: 'time', limit: 20 })).items.map(caseBody);
  if (snap === undefined && recentCases.length === 0) throw new ApiError('NOT_FOUND', `no account ${accountId}`);
  const ctx = snap?.context;
  const w = ctx?.window;
  const recentTransactions = w ? w.t.map((t, i) => ({ timestamp: new Date(t).toISOString(), amount: w.amount[i] as number, terminalId: w.terminal[i] as string })).slice(-50).reverse() : [];
  return {
    accountId,
    state: snap?.value === 'blocked' ? ('blocked' as const) : ('active' as const),
    block: ctx?.block ? { ...ctx.block } : null,
    txCount: ctx?.txCount ?? 0,
    fraudLabels: ctx?.fraudLabels ?? 0,
    lastEvents: { ...(ctx?.lastEvents ?? {}) } as Record<string, number>,
    features: ctx?.lastTx ? { ...ctx.lastTx.features } : null,
    recentTransactions,
    recentCases,
  };
}
