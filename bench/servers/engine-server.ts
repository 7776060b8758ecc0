/**
 * Bench child process: the real engine in embedded mode (configuration from
 * config/ plus VETO_* environment overrides, the shipped model, in-process
 * actors and decision store, logger off). Listens on 127.0.0.1:0 and reports
 * its port to the parent over IPC; exits on 'shutdown' or when the parent goes.
 * API keys come from VETO_API_KEYS (bench/http.ts sets an authorizer key); without
 * any, the generated development key is reported as `apiKey`.
 */
import { loadConfig } from '../../src/app/config.js';
import { createRuntime } from '../../src/app/runtime.js';

const config = loadConfig(process.env, 'config');
const runtime = await createRuntime(config);
await runtime.app.listen({ host: '127.0.0.1', port: 0 });
const address = runtime.app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
process.send?.({
  type: 'ready',
  port,
  info: `model ${runtime.engine.modelVersion}, TF.js ${runtime.tfBackend}, ${runtime.mode}, batch ≤ ${config.scoring.maxBatch}, wait ${config.scoring.maxWaitMs} ms, API key checked on every request`,
  ...(runtime.devApiKey !== undefined ? { apiKey: runtime.devApiKey } : {}),
});

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void runtime.shutdown().finally(() => process.exit(0));
};
process.on('message', (message) => {
  if (message === 'shutdown') stop();
});
process.on('disconnect', stop);
