/** Scores feature matrices with a loaded model: standardise with the card's normalization, then predict. */
import type { LoadedModel } from './artifact.js';
import { predictRaw } from './train.js';

export class Scorer {
  constructor(readonly loaded: LoadedModel) {}

  get version(): string {
    return this.loaded.card.version;
  }

  /** Training means of the features (the card's normalization). */
  get means(): readonly number[] {
    return this.loaded.card.normalization.mean;
  }

  /** Fraud probability of each row of the row-major matrix `x` (FEATURE_COUNT columns). */
  score(x: Float32Array): Float32Array {
    return predictRaw(this.loaded.model, this.loaded.card.normalization, x);
  }
}
