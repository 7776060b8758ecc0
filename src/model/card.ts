/** The model card (`card.json`) shipped next to the TF.js `model.json`. */
import type { FeatureDef } from '../domain/features.js';
import type { Normalization } from './normalization.js';

export interface Thresholds {
  /** Scores at or above this are sent to review. */
  readonly review: number;
  /** Scores at or above this are blocked. */
  readonly block: number;
  /** How the thresholds were chosen. */
  readonly method: string;
}

export interface QualityFigures {
  readonly auc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
}

export interface EvaluationRecord extends QualityFigures {
  readonly data: string;
  readonly split: string;
  readonly transactions: number;
  readonly frauds: number;
}

export interface ModelCard {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly features: readonly FeatureDef[];
  readonly normalization: Normalization;
  readonly thresholds: Thresholds;
  readonly architecture: { readonly hidden: readonly number[]; readonly activation: string; readonly output: string };
  readonly training: {
    readonly data: string;
    readonly from: string;
    readonly to: string;
    readonly validationFrom: string;
    readonly rows: number;
    readonly frauds: number;
    readonly seed: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly labelDelayDays: number;
  };
  readonly metrics: {
    readonly validation: QualityFigures & { readonly transactions: number; readonly frauds: number };
    readonly evaluations: readonly EvaluationRecord[];
  };
}
