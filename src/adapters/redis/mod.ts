/** The Redis adapters: the production StateStore and its key layout and Lua scripts. */
export {
  RedisStateStore,
  StateStoreCorruptError,
  StateStoreRejectedError,
  StateStoreUnavailableError,
  type CommitOutcome,
  type RedisStateStoreOptions,
  type StateStoreStatus,
} from './redis-state-store.js';
export { assertPrefix, escapeId, redisKeys, SEQ_FIELD, SNAPSHOT_FIELD, type RedisKeys } from './keys.js';
export {
  callScript,
  commitAccountCall,
  commitTerminalCall,
  defineScripts,
  parseCommitReply,
  SCRIPT_NAMES,
  scriptsDir,
  scriptSource,
  type CommitAccountArgs,
  type CommitReply,
  type CommitTerminalArgs,
  type ScriptName,
} from './scripts.js';
