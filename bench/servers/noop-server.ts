/**
 * Bench child process: the ceiling of Node HTTP here. A Fastify instance with
 * the real app's options (same ajv options and body limit, no logging) and a
 * `POST /v1/authorize` route with the same body/query/response schemas as the
 * engine's, answering a constant decision. Listens on 127.0.0.1:0 and reports
 * its port to the parent over IPC; exits on 'shutdown' or when the parent goes.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import { loadConfig } from '../../src/app/config.js';
import { installErrorHandling } from '../../src/http/errors.js';
import { AuthorizeBody, AuthorizeQuery, DecisionResponse, ErrorResponse } from '../../src/http/schemas.js';

const config = loadConfig(process.env, 'config');
const app = Fastify({
  logger: false,
  bodyLimit: config.server.bodyLimitBytes,
  requestIdHeader: 'x-request-id',
  logController: new LogController({ disableRequestLogging: true }),
  return503OnClosing: true,
  ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: false } },
}).withTypeProvider<TypeBoxTypeProvider>();
installErrorHandling(app);

app.post(
  '/v1/authorize',
  {
    schema: {
      body: AuthorizeBody,
      querystring: AuthorizeQuery,
      response: { 200: DecisionResponse, 400: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 500: ErrorResponse, 503: ErrorResponse },
    },
  },
  async (request) => ({
    txId: request.body.txId,
    decision: 'allow' as const,
    score: 0.01,
    reasons: [],
    modelVersion: 'noop',
    latencyMs: 0,
    replayed: false,
  }),
);

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
process.send?.({ type: 'ready', port, info: 'no-op Fastify route' });

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void app.close().finally(() => process.exit(0));
};
process.on('message', (message) => {
  if (message === 'shutdown') stop();
});
process.on('disconnect', stop);
