/** One error class per condition, each with a stable code (see the README's error catalogue). */
export class VetoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An event failed validation; nothing was changed. */
export class InvalidEventError extends VetoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_EVENT', message, options);
  }
}

/** An actor failed while applying an event; it was restored to its state before the event. */
export class ActorFailedError extends VetoError {
  constructor(
    readonly entity: 'account' | 'terminal',
    readonly entityId: string,
    options?: { cause?: unknown },
  ) {
    super('ACTOR_FAILED', `${entity} ${entityId} failed to apply an event; its state was kept`, options);
  }
}

/** A txId was reused with a different transaction. */
export class IdempotencyConflictError extends VetoError {
  constructor(readonly txId: string) {
    super('IDEMPOTENCY_CONFLICT', `txId ${txId} was already decided for a different transaction`);
  }
}
