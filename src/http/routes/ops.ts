/** Operations routes, never authenticated: GET /health, GET /ready, GET /metrics. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EngineMetrics } from '../metrics.js';
import { HealthResponse, ReadyResponse } from '../schemas.js';

export interface OpsInfo {
  readonly version: string;
  readonly mode: string;
  readonly tfBackend: string;
  readonly modelVersion: () => string;
  readonly startedAt: number;
  /** Readiness checks (model loaded, adapters connected, not shutting down). */
  readonly checks: () => Record<string, boolean>;
}

export const opsRoutes = (info: OpsInfo, metrics: EngineMetrics): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/health', { schema: { summary: 'Liveness, TF.js backend and model version', tags: ['operations'], response: { 200: HealthResponse } } }, async () => ({
      status: 'ok' as const,
      version: info.version,
      mode: info.mode,
      tfBackend: info.tfBackend,
      modelVersion: info.modelVersion(),
      uptimeSeconds: Math.round((Date.now() - info.startedAt) / 1000),
    }));

    app.get('/ready', { schema: { summary: 'Readiness: model loaded, adapters connected', tags: ['operations'], response: { 200: ReadyResponse, 503: ReadyResponse } } }, async (_req, reply) => {
      const checks = info.checks();
      const ready = Object.values(checks).every(Boolean);
      return reply.status(ready ? 200 : 503).send({ ready, checks });
    });

    app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], hide: false } }, async (_req, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    });
  };
