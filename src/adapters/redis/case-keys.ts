/** Redis keys and Lua scripts of the case store (see redis-case-store.ts). */
import type { Redis } from 'ioredis';
import type { CaseStatus } from '../../domain/case.js';
import { CASE_STATUSES } from '../case-index.js';
import { assertPrefix, escapeId } from './keys.js';
import { defineCommands, scriptSource } from './scripts.js';

// ---------------------------------------------------------------------------
// Keys.

export type CaseIndexName = CaseStatus | 'all';

export interface RedisCaseKeys {
  readonly prefix: string;
  caseKey(id: string): string;
  byScore(index: CaseIndexName): string;
  byTime(index: CaseIndexName): string;
  readonly byResolution: string;
  readonly audit: string;
  auditTarget(target: string): string;
  /** KEYS of case-open and case-update for one case (see their headers). */
  scriptKeys(id: string): string[];
  /** SCAN pattern matching every key of the case store under this prefix. */
  readonly all: readonly string[];
}

export function redisCaseKeys(prefix: string): RedisCaseKeys {
  assertPrefix(prefix);
  const cases = `${prefix}:{cases}`;
  const audit = `${prefix}:{audit}`;
  const caseKey = (id: string) => `${cases}:case:${escapeId(id)}`;
  const byScore = (index: CaseIndexName) => `${cases}:by-score:${index}`;
  const byTime = (index: CaseIndexName) => `${cases}:by-time:${index}`;
  const byResolution = `${cases}:by-resolution`;
  const glob = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  return {
    prefix,
    caseKey,
    byScore,
    byTime,
    byResolution,
    audit,
    auditTarget: (target) => `${audit}:${escapeId(target)}`,
    scriptKeys: (id) => [
      caseKey(id),
      ...CASE_STATUSES.map(byScore),
      byScore('all'),
      ...CASE_STATUSES.map(byTime),
      byTime('all'),
      byResolution,
    ],
    all: [`${glob(cases)}:*`, glob(audit), `${glob(audit)}:*`],
  };
}

// ---------------------------------------------------------------------------
// Scripts: read from scripts/case-*.lua next to the state store's (same loader rules as scripts.ts).

export const CASE_SCRIPT_NAMES = ['case-open', 'case-update', 'case-audit'] as const;
export type CaseScriptName = (typeof CASE_SCRIPT_NAMES)[number];

const CASE_COMMAND: Readonly<Record<CaseScriptName, string>> = {
  'case-open': 'vetoCaseOpen',
  'case-update': 'vetoCaseUpdate',
  'case-audit': 'vetoCaseAudit',
};

/** The Lua source of a case script (read once per process). */
export function caseScriptSource(name: CaseScriptName): string {
  return scriptSource(name);
}

/** Defines the case scripts on a client (idempotent; safe on a client shared with the state store). */
export function defineCaseScripts(redis: Redis): void {
  defineCommands(redis, CASE_COMMAND);
}

type ScriptFn = (numKeys: number, ...keysAndArgs: string[]) => Promise<unknown>;

/** Calls a case script with raw KEYS and ARGV (defined by `defineCaseScripts`). */
export function callCaseScript(redis: Redis, name: CaseScriptName, keys: readonly string[], argv: readonly string[]): Promise<unknown> {
  const fn = (redis as unknown as Record<string, ScriptFn | undefined>)[CASE_COMMAND[name]];
  if (typeof fn !== 'function') throw new Error(`Redis script ${name} is not defined on this client (call defineCaseScripts first)`);
  return fn.call(redis, keys.length, ...keys, ...argv);
}

// ---------------------------------------------------------------------------
// The store.

