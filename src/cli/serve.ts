/** `veto serve` (and `npm start`): runs the engine until SIGTERM/SIGINT, then shuts down gracefully. */
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ConfigError, loadConfig } from '../app/config.js';
import { createRuntime } from '../app/runtime.js';
import { packageRoot } from '../model/location.js';

export const SERVE_USAGE = `Usage: veto serve

Runs the decision engine. Configuration: config/default.json, the JSON file
named by VETO_CONFIG, then environment variables (VETO_PORT, VETO_MODEL_DIR,
VETO_THRESHOLD_REVIEW, VETO_FALLBACK, … — see the README). With no NATS or
Redis configured it runs embedded: in-process adapters and the shipped model.

API keys: VETO_API_KEYS=key:role[:name],… (roles authorizer, analyst, admin)
or auth.apiKeys. Embedded without keys, a development admin key is generated
and printed on stderr; service mode without keys refuses to start.
`;

/** Log paths that may hold a secret: replaced by "[redacted]" in every log line. */
export const LOG_REDACT_PATHS = ['req.headers.authorization', 'request.headers.authorization', 'headers.authorization'];

/** The service logger: pino JSON at `level`, API keys redacted. */
export function serveLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'veto' }, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  let config;
  let runtime;
  let logger;
  try {
    config = loadConfig(process.env, join(packageRoot(), 'config'));
    logger = serveLogger(config.server.logLevel);
    runtime = await createRuntime(config, { logger });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`veto: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (runtime.devApiKey !== undefined) {
    // Printed once on stderr, never logged: logs are collected and kept.
    process.stderr.write(
      `veto: development API key (admin): ${runtime.devApiKey}\n` +
        'veto: no API keys configured — generated for this run only; configure VETO_API_KEYS (key:role[:name]) or auth.apiKeys\n',
    );
    logger.warn({ auth: 'development-key' }, 'no API keys configured: a development admin key was generated for this run and printed on stderr');
  }
  // A stray rejection is a bug to log, not a reason to drop every account's in-flight work.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const address = await runtime.app.listen({ host: config.server.host, port: config.server.port });
  logger.info(
    { address, mode: runtime.mode, tfBackend: runtime.tfBackend, modelVersion: runtime.engine.modelVersion, thresholds: runtime.engine.policy.thresholds },
    `veto listening on ${address} — ${runtime.mode}, model ${runtime.engine.modelVersion}, TF.js backend ${runtime.tfBackend}`,
  );
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      runtime.shutdown().then(
        () => {
          logger.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
