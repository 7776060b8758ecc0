/**
 * Configuration: `config/default.json`, then the file named by VETO_CONFIG
 * (deep-merged), then environment overrides. Validated once at startup; every
 * problem is reported at once with its path, and the engine does not start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkApiKeys, parseApiKeysEnv } from '../http/auth.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Probability = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        bodyLimitBytes: Type.Integer({ minimum: 256, maximum: 10_485_760 }),
        logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
      },
      { additionalProperties: false },
    ),
    model: Type.Object({ dir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]) }, { additionalProperties: false }),
    thresholds: Type.Object({ review: Probability, block: Probability }, { additionalProperties: false }),
    limits: Type.Object(
      {
        maxAmount: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
        reviewAmount: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    lists: Type.Object(
      {
        blockAccounts: Type.Array(Id),
        allowAccounts: Type.Array(Id),
        blockTerminals: Type.Array(Id),
        allowTerminals: Type.Array(Id),
        blockDevices: Type.Array(Id),
        allowDevices: Type.Array(Id),
      },
      { additionalProperties: false },
    ),
    scoring: Type.Object(
      {
        maxBatch: Type.Integer({ minimum: 1, maximum: 4096 }),
        maxWaitMs: Type.Number({ minimum: 0, maximum: 100 }),
        timeoutMs: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
        fallback: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
      },
      { additionalProperties: false },
    ),
    features: Type.Object({ labelDelayDays: Type.Number({ minimum: 0, maximum: 365 }) }, { additionalProperties: false }),
    decisions: Type.Object({ retain: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    services: Type.Object(
      {
        natsUrl: Type.Union([Type.String({ pattern: '^(nats|tls|wss?)://' }), Type.Null()]),
        redisUrl: Type.Union([Type.String({ pattern: '^rediss?://' }), Type.Null()]),
        subjectPrefix: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 32 }),
        durable: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 64 }),
        fetchBatch: Type.Integer({ minimum: 1, maximum: 4096 }),
        ackWaitMs: Type.Integer({ minimum: 1000 }),
        duplicateWindowMs: Type.Integer({ minimum: 1000 }),
      },
      { additionalProperties: false },
    ),
    review: Type.Object({ casesForBlock: Type.Boolean(), blockOnFraud: Type.Boolean() }, { additionalProperties: false }),
    auth: Type.Object(
      {
        /** API keys of the HTTP API (VETO_API_KEYS replaces them); checked by checkApiKeys. */
        apiKeys: Type.Array(
          Type.Object({ key: Type.String(), role: Type.String(), name: Type.Optional(Type.String()) }, { additionalProperties: false }),
          { maxItems: 1000 },
        ),
        reviewRateLimitPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
      },
      { additionalProperties: false },
    ),
    state: Type.Object(
      {
        keyPrefix: Type.String({ pattern: '^[A-Za-z0-9_:-]+$', maxLength: 64 }),
        maxResident: Type.Integer({ minimum: 1 }),
        idleSeconds: Type.Number({ exclusiveMinimum: 0 }),
        decisionRetentionDays: Type.Number({ exclusiveMinimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type VetoConfig = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

/** Environment variable → config path and parser. */
const ENV: readonly [string, string, 'int' | 'number' | 'string' | 'list' | 'bool'][] = [
  ['VETO_HOST', 'server.host', 'string'],
  ['VETO_PORT', 'server.port', 'int'],
  ['VETO_BODY_LIMIT_BYTES', 'server.bodyLimitBytes', 'int'],
  ['VETO_LOG_LEVEL', 'server.logLevel', 'string'],
  ['VETO_MODEL_DIR', 'model.dir', 'string'],
  ['VETO_THRESHOLD_REVIEW', 'thresholds.review', 'number'],
  ['VETO_THRESHOLD_BLOCK', 'thresholds.block', 'number'],
  ['VETO_MAX_AMOUNT', 'limits.maxAmount', 'number'],
  ['VETO_REVIEW_AMOUNT', 'limits.reviewAmount', 'number'],
  ['VETO_BLOCK_ACCOUNTS', 'lists.blockAccounts', 'list'],
  ['VETO_ALLOW_ACCOUNTS', 'lists.allowAccounts', 'list'],
  ['VETO_BLOCK_TERMINALS', 'lists.blockTerminals', 'list'],
  ['VETO_ALLOW_TERMINALS', 'lists.allowTerminals', 'list'],
  ['VETO_BLOCK_DEVICES', 'lists.blockDevices', 'list'],
  ['VETO_ALLOW_DEVICES', 'lists.allowDevices', 'list'],
  ['VETO_BATCH_MAX', 'scoring.maxBatch', 'int'],
  ['VETO_BATCH_WAIT_MS', 'scoring.maxWaitMs', 'number'],
  ['VETO_SCORING_TIMEOUT_MS', 'scoring.timeoutMs', 'number'],
  ['VETO_FALLBACK', 'scoring.fallback', 'string'],
  ['VETO_LABEL_DELAY_DAYS', 'features.labelDelayDays', 'number'],
  ['VETO_DECISIONS_RETAIN', 'decisions.retain', 'int'],
  ['VETO_NATS_URL', 'services.natsUrl', 'string'],
  ['VETO_REDIS_URL', 'services.redisUrl', 'string'],
  ['VETO_SUBJECT_PREFIX', 'services.subjectPrefix', 'string'],
  ['VETO_DURABLE', 'services.durable', 'string'],
  ['VETO_FETCH_BATCH', 'services.fetchBatch', 'int'],
  ['VETO_ACK_WAIT_MS', 'services.ackWaitMs', 'int'],
  ['VETO_REVIEW_RATE_LIMIT', 'auth.reviewRateLimitPerMinute', 'int'],
  ['VETO_CASES_FOR_BLOCK', 'review.casesForBlock', 'bool'],
  ['VETO_BLOCK_ON_FRAUD', 'review.blockOnFraud', 'bool'],
  ['VETO_REDIS_PREFIX', 'state.keyPrefix', 'string'],
  ['VETO_MAX_RESIDENT', 'state.maxResident', 'int'],
  ['VETO_IDLE_SECONDS', 'state.idleSeconds', 'number'],
  ['VETO_DECISION_RETENTION_DAYS', 'state.decisionRetentionDays', 'number'],
];

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Json, v as Json) : v;
  }
  return out;
}

function setPath(obj: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const k of keys.slice(0, -1)) {
    node[k] = { ...((node[k] as Json | undefined) ?? {}) };
    node = node[k] as Json;
  }
  node[keys[keys.length - 1] as string] = value;
}

function readJson(path: string, problems: string[]): Json {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (error) {
    problems.push(`${path}: ${(error as Error).message}`);
    return {};
  }
}

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env, configDir: string): VetoConfig {
  const problems: string[] = [];
  let merged = readJson(join(configDir, 'default.json'), problems);
  if (env.VETO_CONFIG) merged = deepMerge(merged, readJson(env.VETO_CONFIG, problems));
  for (const [name, path, kind] of ENV) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (kind === 'string') setPath(merged, path, raw);
    else if (kind === 'list') setPath(merged, path, raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
    else if (kind === 'bool') {
      if (raw === 'true' || raw === '1') setPath(merged, path, true);
      else if (raw === 'false' || raw === '0') setPath(merged, path, false);
      else problems.push(`${name}: expected true or false, got '${raw}'`);
    }
    else {
      const n = Number(raw);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) problems.push(`${name}: expected ${kind === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
      else setPath(merged, path, n);
    }
  }
  // VETO_API_KEYS: `key:role[:name]`, comma-separated; replaces auth.apiKeys.
  const keysFromEnv = env.VETO_API_KEYS !== undefined && env.VETO_API_KEYS.trim() !== '';
  if (keysFromEnv) {
    const parsed = parseApiKeysEnv(env.VETO_API_KEYS as string);
    problems.push(...parsed.problems);
    setPath(merged, 'auth.apiKeys', parsed.entries);
  }
  for (const e of Value.Errors(ConfigSchema, merged)) {
    // Never echo a key: a problem with one names its path only.
    const secret = /^\/auth\/apiKeys\/\d+\/key$/.test(e.path);
    problems.push(`${e.path || '/'}: ${e.message}${!secret && e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : ''}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = merged as VetoConfig;
  const keyProblems = checkApiKeys(config.auth.apiKeys, (i) => (keysFromEnv ? `VETO_API_KEYS entry ${i + 1}` : `auth.apiKeys[${i}]`));
  if (keyProblems.length > 0) throw new ConfigError(keyProblems);
  const { review, block } = config.thresholds;
  if (review !== null && block !== null && review > block) throw new ConfigError([`thresholds: review (${review}) must not exceed block (${block})`]);
  if (config.services.natsUrl !== null && config.services.redisUrl === null) {
    throw new ConfigError(['services: VETO_NATS_URL needs VETO_REDIS_URL too — events are acknowledged only once their effect is durable in Redis']);
  }
  return config;
}
