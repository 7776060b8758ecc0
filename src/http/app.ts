/**
 * The HTTP API, built separately from listening (tests use `inject()`).
 * Schema-first: every route declares its body and responses with TypeBox;
 * no type coercion and no silent removal of unknown properties.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DecisionEngine } from '../engine/engine.js';
import { documentAccess, installAccessControl, ROLES, withRoles, type AccessControlOptions } from './auth.js';
import { ApiError, ERROR_CATALOGUE, installErrorHandling } from './errors.js';
import type { EngineMetrics } from './metrics.js';
import { authorizeRoutes } from './routes/authorize.js';
import { reviewRoutes, type ReviewRouteDeps } from './routes/review.js';
import { opsRoutes, type OpsInfo } from './routes/ops.js';

export interface AppOptions {
  readonly engine: DecisionEngine;
  readonly metrics: EngineMetrics;
  readonly ops: OpsInfo;
  readonly bodyLimitBytes: number;
  /** API keys and rate limits (src/http/auth.ts). Without keys every protected route answers 401. */
  readonly auth: AccessControlOptions;
  /** True once shutdown has begun (the runtime sets it before `app.close()`). */
  readonly isClosing?: () => boolean;
  /** A pino logger instance, pino options, or false. */
  readonly logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  /** The analysts' review API (cases, accounts, audit, admin). */
  readonly review?: ReviewRouteDeps;
}

export async function build(options: AppOptions): Promise<FastifyInstance> {
  const loggerOption = options.logger ?? false;
  const isInstance = typeof loggerOption === 'object' && loggerOption !== null && 'child' in loggerOption;
  const app = Fastify({
    ...(isInstance ? { loggerInstance: loggerOption as FastifyBaseLogger } : { logger: loggerOption as FastifyServerOptions['logger'] }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ disableRequestLogging: true }),
    // Requests arriving during shutdown get the catalogue's NOT_READY (below), not Fastify's bare 503.
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON is accepted: without this, text/plain bodies would reach validation instead of 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app, (code) => options.metrics.error(code));

  // Graceful shutdown: refuse new requests with NOT_READY and close keep-alive
  // connections after their in-flight response, so close() is not held up by
  // idle sockets until the keep-alive timeout.
  const closing = options.isClosing ?? (() => false);
  app.addHook('onRequest', async () => {
    if (closing()) throw new ApiError('NOT_READY', 'the engine is shutting down');
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing()) void reply.header('connection', 'close');
  });
  // API keys and roles: an onRequest hook, so before body parsing and handlers. Before every route.
  await installAccessControl(app, options.auth);
  await app.register(swagger, {
    transform: documentAccess,
    openapi: {
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' } } },
      info: {
        title: 'veto',
        version: options.ops.version,
        description: `Real-time fraud decisions. Error codes: ${Object.entries(ERROR_CATALOGUE)
          .map(([code, e]) => `${code} (${e.status})`)
          .join(', ')}.`,
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(opsRoutes(options.ops, options.metrics));
  await app.register(withRoles(ROLES.authorize, authorizeRoutes(options.engine)));
  // Same scope as the other routes (a nested plugin would delay the listener's close on shutdown).
  if (options.review) await reviewRoutes(options.review)(app, {});
  return app;
}
