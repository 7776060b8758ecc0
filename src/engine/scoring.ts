/**
 * Micro-batched model scoring with a time budget. Requests (one feature row,
 * or several for attribution) are gathered into one predict call; a request
 * that fails or exceeds its budget resolves as degraded instead of hanging.
 */
import { FEATURE_COUNT } from '../domain/features.js';
import { MicroBatcher } from './batcher.js';

/** What the engine needs of a model (the TF.js Scorer implements it; tests inject others). */
export interface ModelScorer {
  readonly version: string;
  /** Training means of the features (for attribution by occlusion). */
  readonly means: readonly number[];
  score(x: Float32Array): Float32Array | Promise<Float32Array>;
}

export type ScoreOutcome = { readonly scores: Float32Array } | { readonly degraded: string };

export interface ScoringOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly timeoutMs: number;
  /** Observes the number of requests in each predict batch. */
  readonly onBatch?: (requests: number) => void;
}

export class ScoringService {
  private readonly batcher: MicroBatcher<Float32Array, Float32Array>;

  constructor(
    readonly model: ModelScorer,
    private readonly options: ScoringOptions,
  ) {
    this.batcher = new MicroBatcher((items) => this.scoreBatch(items), {
      maxBatch: options.maxBatch,
      maxWaitMs: options.maxWaitMs,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    });
  }

  /** Scores `rows` (row-major, FEATURE_COUNT columns) within the time budget. */
  async score(rows: Float32Array): Promise<ScoreOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ScoreOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ degraded: `scoring exceeded its ${this.options.timeoutMs} ms budget` }), this.options.timeoutMs);
    });
    const scored = this.batcher.submit(rows).then(
      (scores): ScoreOutcome => ({ scores }),
      (error: unknown): ScoreOutcome => ({ degraded: `scoring failed: ${error instanceof Error ? error.message : String(error)}` }),
    );
    try {
      return await Promise.race([scored, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Scores what is queued now (used on shutdown). */
  flush(): void {
    this.batcher.flush();
  }

  private async scoreBatch(items: readonly Float32Array[]): Promise<Float32Array[]> {
    let total = 0;
    for (const item of items) total += item.length;
    const x = new Float32Array(total);
    let offset = 0;
    for (const item of items) {
      x.set(item, offset);
      offset += item.length;
    }
    const scores = await this.model.score(x);
    const out: Float32Array[] = [];
    let row = 0;
    for (const item of items) {
      const n = item.length / FEATURE_COUNT;
      out.push(scores.subarray(row, row + n));
      row += n;
    }
    return out;
  }
}
