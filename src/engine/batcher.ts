/**
 * Micro-batching: calls made in the same turn of the event loop (up to
 * `maxBatch`) are gathered into one `run` call. A lone call is flushed on the
 * next `setImmediate`, so it waits for nothing; under load, concurrent calls
 * share one batch. With `maxWaitMs` > 0 a partial batch may wait that long for
 * company (bounded).
 */
export interface BatcherOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Observes each flushed batch's size. */
  readonly onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly O[]> | readonly O[],
    private readonly options: BatcherOptions,
  ) {
    if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be ≥ 1');
  }

  get pending(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else if (this.scheduled === undefined) {
        this.scheduled = this.options.maxWaitMs > 0 ? setTimeout(() => this.flush(), this.options.maxWaitMs) : setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearTimeout(this.scheduled as NodeJS.Timeout);
      clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = undefined;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.options.onBatch?.(batch.length);
      void this.runBatch(batch);
    }
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    try {
      const out = await this.run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`batch returned ${out.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(out[i] as O));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
