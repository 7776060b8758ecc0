/**
 * Redis key layout of the state store, namespaced by a prefix. Everything of
 * one account shares the hash tag `{a:<accountId>}` (one cluster slot, so one
 * Lua script can write it atomically); a terminal has `{t:<terminalId>}`. The
 * txId → accountId index has no hash tag: its keys spread over all slots and
 * are written by separate (idempotent) commands.
 *
 *   <p>:{a:<accountId>}:snap          hash  { snapshot, seq }        no TTL
 *   <p>:{a:<accountId>}:dec:<txId>    string (DecisionRecord JSON)    TTL = retention
 *   <p>:{t:<terminalId>}:snap         hash  { snapshot, seq }        no TTL
 *   <p>:txidx:<txId>                  string (accountId)              TTL = retention
 *
 * Ids are used verbatim except `%`, `{` and `}` (escaped as %25, %7B, %7D), so
 * an id can never end a hash tag early or make two keys collide.
 */

/** Hash fields of a snapshot key. */
export const SNAPSHOT_FIELD = 'snapshot';
export const SEQ_FIELD = 'seq';

/** Escapes the characters that would break the hash tag; other characters are kept. */
export function escapeId(id: string): string {
  return id.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

/** A valid key prefix: non-empty, without braces (they would become the hash tag of every key). */
export function assertPrefix(prefix: string): void {
  if (prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new RangeError(`invalid Redis key prefix ${JSON.stringify(prefix)}: must be non-empty and contain no '{' or '}'`);
  }
}

export interface RedisKeys {
  readonly prefix: string;
  /** Hash tag of an account, e.g. `{a:acc-1}`. */
  accountTag(accountId: string): string;
  accountSnapshot(accountId: string): string;
  decision(accountId: string, txId: string): string;
  terminalSnapshot(terminalId: string): string;
  txIndex(txId: string): string;
  /** SCAN pattern matching every key of this prefix. */
  readonly all: string;
}

export function redisKeys(prefix: string): RedisKeys {
  assertPrefix(prefix);
  const accountTag = (accountId: string) => `{a:${escapeId(accountId)}}`;
  return {
    prefix,
    accountTag,
    accountSnapshot: (accountId) => `${prefix}:${accountTag(accountId)}:snap`,
    decision: (accountId, txId) => `${prefix}:${accountTag(accountId)}:dec:${escapeId(txId)}`,
    terminalSnapshot: (terminalId) => `${prefix}:{t:${escapeId(terminalId)}}:snap`,
    txIndex: (txId) => `${prefix}:txidx:${escapeId(txId)}`,
    all: `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`,
  };
}
