/** The case stores' errors: one class per condition, each with a code and `cause`. */
import { VetoError } from '../engine/errors.js';

/** A query, cursor or limit is invalid (the caller's mistake: HTTP 400). Nothing was read. */
export class InvalidCaseQueryError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CASE_QUERY', message, options);
  }
}

/** A write was refused: an invalid record or audit entry, or an error reply from a script. Nothing was written. */
export class CaseStoreRejectedError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CASE_STORE_REJECTED', message, options);
  }
}

/** The backing store does not answer (Redis down, unreachable, timed out, loading, read-only, out of memory). Retry later. */
export class CaseStoreUnavailableError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CASE_STORE_UNAVAILABLE', message, options);
  }
}

/** A stored value cannot be read back (unparseable JSON, wrong record, key of the wrong type). */
export class CaseStoreCorruptError extends VetoError {
  constructor(
    readonly key: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('CASE_STORE_CORRUPT', message, options);
  }
}
