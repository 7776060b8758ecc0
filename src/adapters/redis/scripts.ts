/**
 * The Lua scripts of the Redis state store. Each lives in `scripts/<name>.lua`
 * with its KEYS/ARGV contract in a header comment, and is read at runtime from
 * the source tree (`<package root>/src/adapters/redis/scripts/`): the build
 * compiles only .ts, so the same path serves src/ (tsx) and dist/.
 *
 * Scripts are defined on a client with ioredis `defineCommand` (EVALSHA, with
 * EVAL the first time on each connection), so they also work in a pipeline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';
import { packageRoot } from '../../model/location.js';

export const SCRIPT_NAMES = ['commit-account', 'commit-terminal'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** The ioredis command each script is defined as. */
const COMMAND: Readonly<Record<ScriptName, string>> = {
  'commit-account': 'vetoCommitAccount',
  'commit-terminal': 'vetoCommitTerminal',
};

/** Where the .lua files are read from. */
export function scriptsDir(): string {
  return join(packageRoot(), 'src', 'adapters', 'redis', 'scripts');
}

const sources = new Map<string, string>();

/** The Lua source of a script `scripts/<name>.lua` (read once per process). */
export function scriptSource(name: string): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    const file = join(scriptsDir(), `${name}.lua`);
    try {
      lua = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read the Redis script ${file} (the .lua files must ship with the package)`, { cause });
    }
    sources.set(name, lua);
  }
  return lua;
}

const defined = new WeakMap<Redis, Set<string>>();

/** Defines scripts (file name → ioredis command name) on a client, once per client. */
export function defineCommands(redis: Redis, commands: Readonly<Record<string, string>>): void {
  let done = defined.get(redis);
  if (done === undefined) defined.set(redis, (done = new Set()));
  for (const [name, command] of Object.entries(commands)) {
    if (done.has(command)) continue;
    redis.defineCommand(command, { lua: scriptSource(name) });
    done.add(command);
  }
}

/** Defines the state store's scripts on a client (idempotent). Reads the .lua files on first use. */
export function defineScripts(redis: Redis): void {
  defineCommands(redis, Object.fromEntries(SCRIPT_NAMES.map((n) => [n, COMMAND[n]])));
}

type ScriptTarget = Redis | ChainableCommander;
type ScriptFn = (numKeys: number, ...keysAndArgs: string[]) => unknown;

/**
 * Calls a script with raw KEYS and ARGV: on a client it returns the reply's
 * promise, on a pipeline it queues the call (and returns the pipeline). The
 * scripts must have been defined on the client (`defineScripts`).
 */
export function callScript(target: ScriptTarget, name: ScriptName, keys: readonly string[], argv: readonly string[]): unknown {
  const fn = (target as unknown as Record<string, ScriptFn | undefined>)[COMMAND[name]];
  if (typeof fn !== 'function') throw new Error(`Redis script ${name} is not defined on this client (call defineScripts first)`);
  return fn.call(target, keys.length, ...keys, ...argv);
}

/** Arguments of commit-account (see its header). */
export interface CommitAccountArgs {
  readonly snapshotKey: string;
  readonly snapshot: string;
  readonly seq: number;
  readonly retentionSeconds: number;
  readonly decisions: readonly { readonly key: string; readonly json: string }[];
}

export function commitAccountCall(a: CommitAccountArgs): { keys: string[]; argv: string[] } {
  return {
    keys: [a.snapshotKey, ...a.decisions.map((d) => d.key)],
    argv: [a.snapshot, String(a.seq), String(a.retentionSeconds), ...a.decisions.map((d) => d.json)],
  };
}

/** Arguments of commit-terminal (see its header). */
export interface CommitTerminalArgs {
  readonly snapshotKey: string;
  readonly snapshot: string;
  readonly seq: number;
}

export function commitTerminalCall(a: CommitTerminalArgs): { keys: string[]; argv: string[] } {
  return { keys: [a.snapshotKey], argv: [a.snapshot, String(a.seq)] };
}

/** The reply of both commit scripts: written, or stale (the stored, higher seq was kept). */
export interface CommitReply {
  readonly written: boolean;
  /** The seq now stored: the new one when written, the higher stored one when stale. */
  readonly seq: number;
}

export function parseCommitReply(reply: unknown): CommitReply {
  if (Array.isArray(reply) && reply.length === 2 && (reply[0] === 0 || reply[0] === 1)) {
    const seq = Number(reply[1]);
    if (Number.isFinite(seq)) return { written: reply[0] === 1, seq };
  }
  throw new TypeError(`unexpected reply from a commit script: ${JSON.stringify(reply)}`);
}
