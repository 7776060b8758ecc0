/** Configuration: defaults, VETO_CONFIG file merge, environment overrides, and validation reporting every problem. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/app/config.js';

const DEFAULTS = JSON.parse(readFileSync('config/default.json', 'utf8')) as Record<string, unknown>;

function problemsOf(env: Record<string, string>, configDir = 'config'): readonly string[] {
  try {
    loadConfig(env, configDir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

function tempJson(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'veto-config-'));
  const path = join(dir, 'override.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadConfig', () => {
  it('loads config/default.json unchanged with an empty environment', () => {
    const config = loadConfig({}, 'config');
    expect(config).toEqual(DEFAULTS);
    expect(config.server.port).toBe(8080);
    expect(config.scoring.fallback).toBe('open');
    expect(config.thresholds).toEqual({ review: null, block: null });
    expect(config.limits).toEqual({ maxAmount: 50000, reviewAmount: 10000 });
  });

  it('ignores unrelated and empty environment variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', VETO_PORT: '', HOME: '/root' }, 'config')).toEqual(DEFAULTS);
  });

  it('parses and applies every kind of environment override', () => {
    const config = loadConfig(
      {
        VETO_HOST: '127.0.0.1',
        VETO_PORT: '9090',
        VETO_BODY_LIMIT_BYTES: '4096',
        VETO_LOG_LEVEL: 'warn',
        VETO_MODEL_DIR: '/models/v2',
        VETO_THRESHOLD_REVIEW: '0.2',
        VETO_THRESHOLD_BLOCK: '0.8',
        VETO_MAX_AMOUNT: '2500.5',
        VETO_REVIEW_AMOUNT: '1000',
        VETO_BLOCK_ACCOUNTS: ' a1 , a2,,a3 ',
        VETO_ALLOW_TERMINALS: 't1',
        VETO_BLOCK_DEVICES: 'd1,d2',
        VETO_BATCH_MAX: '64',
        VETO_BATCH_WAIT_MS: '2.5',
        VETO_SCORING_TIMEOUT_MS: '40',
        VETO_FALLBACK: 'closed',
        VETO_LABEL_DELAY_DAYS: '3',
        VETO_DECISIONS_RETAIN: '500',
      },
      'config',
    );
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9090, bodyLimitBytes: 4096, logLevel: 'warn' });
    expect(config.model.dir).toBe('/models/v2');
    expect(config.thresholds).toEqual({ review: 0.2, block: 0.8 });
    expect(config.limits).toEqual({ maxAmount: 2500.5, reviewAmount: 1000 });
    expect(config.lists.blockAccounts).toEqual(['a1', 'a2', 'a3']);
    expect(config.lists.allowTerminals).toEqual(['t1']);
    expect(config.lists.blockDevices).toEqual(['d1', 'd2']);
    expect(config.lists.allowAccounts).toEqual([]);
    expect(config.scoring).toEqual({ maxBatch: 64, maxWaitMs: 2.5, timeoutMs: 40, fallback: 'closed' });
    expect(config.features.labelDelayDays).toBe(3);
    expect(config.decisions.retain).toBe(500);
    expect(typeof config.server.port).toBe('number');
  });

  it('an override leaves the sibling settings of its section alone', () => {
    const config = loadConfig({ VETO_PORT: '1234' }, 'config');
    expect(config.server).toEqual({ ...(DEFAULTS.server as object), port: 1234 });
  });

  it('reports every bad value at once, each with its path (VETO_PORT=abc and VETO_FALLBACK=maybe)', () => {
    const problems = problemsOf({ VETO_PORT: 'abc', VETO_FALLBACK: 'maybe' });
    expect(problems.some((p) => p.includes('VETO_PORT') && p.includes('abc'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/scoring/fallback'))).toBe(true);
    expect(problems.some((p) => p.includes('maybe'))).toBe(true);
  });

  it('the ConfigError message lists the problems', () => {
    try {
      loadConfig({ VETO_PORT: 'abc', VETO_LOG_LEVEL: 'loud' }, 'config');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('VETO_PORT');
      expect((error as Error).message).toContain('/server/logLevel');
    }
  });

  it.each([
    ['VETO_PORT', '80.5', 'VETO_PORT'],
    ['VETO_PORT', '70000', '/server/port'],
    ['VETO_PORT', '-1', '/server/port'],
    ['VETO_BATCH_MAX', '0', '/scoring/maxBatch'],
    ['VETO_BATCH_WAIT_MS', '1000', '/scoring/maxWaitMs'],
    ['VETO_SCORING_TIMEOUT_MS', '0', '/scoring/timeoutMs'],
    ['VETO_SCORING_TIMEOUT_MS', 'soon', 'VETO_SCORING_TIMEOUT_MS'],
    ['VETO_THRESHOLD_REVIEW', '1.5', '/thresholds/review'],
    ['VETO_MAX_AMOUNT', '0', '/limits/maxAmount'],
    ['VETO_MAX_AMOUNT', 'Infinity', 'VETO_MAX_AMOUNT'],
    ['VETO_BODY_LIMIT_BYTES', '10', '/server/bodyLimitBytes'],
    ['VETO_DECISIONS_RETAIN', '0', '/decisions/retain'],
  ])('%s=%s is rejected (problem at %s)', (name, value, where) => {
    const problems = problemsOf({ [name]: value });
    expect(problems.some((p) => p.startsWith(where)), problems.join('\n')).toBe(true);
  });

  it('rejects a review threshold above the block threshold', () => {
    const problems = problemsOf({ VETO_THRESHOLD_REVIEW: '0.9', VETO_THRESHOLD_BLOCK: '0.5' });
    expect(problems.join('\n')).toMatch(/review.*block/);
  });

  it('accepts equal review and block thresholds', () => {
    expect(loadConfig({ VETO_THRESHOLD_REVIEW: '0.5', VETO_THRESHOLD_BLOCK: '0.5' }, 'config').thresholds).toEqual({ review: 0.5, block: 0.5 });
  });

  it('deep-merges the VETO_CONFIG file over the defaults, and the environment over both', () => {
    const path = tempJson({
      server: { port: 7000 },
      scoring: { fallback: 'closed' },
      lists: { blockAccounts: ['from-file'] },
      limits: { maxAmount: null },
    });
    const config = loadConfig({ VETO_CONFIG: path, VETO_PORT: '7001' }, 'config');
    expect(config.server.port).toBe(7001); // env wins over the file
    expect(config.server.host).toBe((DEFAULTS.server as { host: string }).host); // untouched sibling kept
    expect(config.scoring.fallback).toBe('closed');
    expect(config.scoring.maxBatch).toBe(256);
    expect(config.lists.blockAccounts).toEqual(['from-file']);
    expect(config.lists.allowAccounts).toEqual([]);
    expect(config.limits).toEqual({ maxAmount: null, reviewAmount: 10000 });
  });

  it('reports an unreadable or invalid VETO_CONFIG file together with other problems', () => {
    const missing = problemsOf({ VETO_CONFIG: '/nonexistent/veto.json', VETO_PORT: 'abc' });
    expect(missing.some((p) => p.startsWith('/nonexistent/veto.json'))).toBe(true);
    expect(missing.some((p) => p.includes('VETO_PORT'))).toBe(true);
    const broken = tempJson('{ "server": ');
    expect(problemsOf({ VETO_CONFIG: broken }).some((p) => p.startsWith(broken))).toBe(true);
  });

  it('rejects unknown settings in a VETO_CONFIG file', () => {
    const path = tempJson({ server: { prot: 8081 }, scoring: { fallback: 'closed' } });
    const problems = problemsOf({ VETO_CONFIG: path });
    expect(problems.some((p) => p.startsWith('/server'))).toBe(true);
  });

  it('rejects wrongly typed values in a VETO_CONFIG file with their paths', () => {
    const path = tempJson({ server: { port: '8080' }, lists: { blockAccounts: 'a1' } });
    const problems = problemsOf({ VETO_CONFIG: path });
    expect(problems.some((p) => p.startsWith('/server/port'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/lists/blockAccounts'))).toBe(true);
  });
});
