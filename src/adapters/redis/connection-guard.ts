/**
 * What both Redis stores need around their client: fail fast while Redis is
 * down (no offline queue), wait for a connection attempt in progress (at most
 * `connectTimeoutMs`), map every failure to the store's own error classes, and
 * track operations in flight so `flush()`/`close()` can wait for them.
 */
import type { Redis } from 'ioredis';

export interface RedisGuardOptions {
  /** e.g. 'state store' (for messages). */
  readonly what: string;
  readonly connectTimeoutMs: number;
  /** The store's "unavailable" error. */
  readonly unavailable: (message: string, options: { cause?: unknown }) => Error;
  /** Maps any failure of an operation to the store's errors. */
  readonly mapError: (op: string, error: unknown) => Error;
}

export class RedisGuard {
  private lastError: Error | undefined;
  private attempt: Promise<void> | undefined;
  private closedFlag = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisGuardOptions,
  ) {
    redis.on('error', (error: Error) => {
      this.lastError = error;
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** No new operations after this. */
  markClosed(): void {
    this.closedFlag = true;
  }

  /** Waits for the operations in flight. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Runs an operation once connected, mapping every failure to the store's errors; tracked for settle(). */
  run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const promise = (async () => {
      await this.whenReady(op);
      try {
        return await fn();
      } catch (error) {
        throw this.options.mapError(op, error);
      }
    })();
    this.pending.add(promise);
    const forget = () => this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Ready: go. A connection attempt in progress: wait for it (at most connectTimeoutMs). Down or closed: fail at once. */
  async whenReady(op: string): Promise<void> {
    const { unavailable, what, connectTimeoutMs } = this.options;
    if (this.closedFlag) throw unavailable(`${op}: the ${what} is closed`, {});
    const status = this.redis.status;
    if (status === 'ready') return;
    if (status !== 'connecting' && status !== 'connect' && status !== 'wait') {
      const why = this.lastError ? `: ${this.lastError.message}` : '';
      throw unavailable(`${op}: Redis is down (${status}${why})`, { cause: this.lastError });
    }
    this.attempt ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('close', onClose);
        this.attempt = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(new Error(`connection failed${this.lastError ? `: ${this.lastError.message}` : ''}`, { cause: this.lastError }));
      const timer = setTimeout(() => done(new Error(`not connected after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      this.redis.once('ready', onReady);
      this.redis.once('close', onClose);
      // A lazy (e.g. shared) client connects on demand.
      if (status === 'wait') this.redis.connect().catch(() => undefined);
    });
    try {
      await this.attempt;
    } catch (error) {
      throw unavailable(`${op}: Redis is unavailable (${(error as Error).message})`, { cause: error });
    }
  }
}
