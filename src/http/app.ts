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
import { ERROR_CATALOGUE, installErrorHandling } from './errors.js';
import type { EngineMetrics } from './metrics.js';
import { authorizeRoutes } from './routes/authorize.js';
import { opsRoutes, type OpsInfo } from './routes/ops.js';

export interface AppOptions {
  readonly engine: DecisionEngine;
  readonly metrics: EngineMetrics;
  readonly ops: OpsInfo;
  readonly bodyLimitBytes: number;
  /** A pino logger instance, pino options, or false. */
  readonly logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
}

export async function build(options: AppOptions): Promise<FastifyInstance> {
  const loggerOption = options.logger ?? false;
  const isInstance = typeof loggerOption === 'object' && loggerOption !== null && 'child' in loggerOption;
  const app = Fastify({
    ...(isInstance ? { loggerInstance: loggerOption as FastifyBaseLogger } : { logger: loggerOption as FastifyServerOptions['logger'] }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app, (code) => options.metrics.error(code));
  await app.register(swagger, {
    openapi: {
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
  await app.register(authorizeRoutes(options.engine));
  return app;
}
