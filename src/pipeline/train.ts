/**
 * The training pipeline behind `veto train` and `veto evaluate --train`:
 * features from replaying the book through the actors, a time-based
 * train/validation split, the MLP, thresholds and the model card.
 */
import type { BookRow } from '../data/book-row.js';
import { FEATURE_COUNT, FEATURES } from '../domain/features.js';
import { averagePrecision, cardPrecisionTopK, rocAuc } from '../domain/metrics.js';
import { DAY_MS } from '../domain/time.js';
import type { ModelCard } from '../model/card.js';
import type { tf } from '../model/tf.js';
import { predictRaw, trainClassifier, type TrainOptions } from '../model/train.js';
import { chooseThresholds } from './thresholds.js';

/** Days of history the 30-day account windows and the 7 + 30-day terminal windows need before features are complete. */
export const WARMUP_DAYS = 37;

export interface TrainRunOptions {
  /** First training instant (ms); default: start of the data + WARMUP_DAYS. */
  readonly from?: number;
  /** End of the training range, exclusive (ms); default: end of the data. */
  readonly to?: number;
  /** The last days of the range are held out for epoch selection and thresholds (0: none). */
  readonly validationDays: number;
  readonly labelDelayMs: number;
  readonly train: TrainOptions;
  readonly version: string;
  readonly dataDescription: string;
  readonly log?: (message: string) => void;
}

export interface TrainRunResult {
  readonly model: tf.LayersModel;
  readonly card: ModelCard;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** Selects rows by time range [from, to) — indices into `rows`. */
export function rowsBetween(rows: readonly BookRow[], from: number, to: number): number[] {
  const idx: number[] = [];
  rows.forEach((r, i) => {
    if (r.timestampMs >= from && r.timestampMs < to) idx.push(i);
  });
  return idx;
}

/** Gathers rows `idx` of a row-major feature matrix. */
export function gatherRows(x: Float32Array, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * FEATURE_COUNT);
  idx.forEach((i, k) => out.set(x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), k * FEATURE_COUNT));
  return out;
}

/** AUC, AP and CP@100 (per calendar day, no card removal) of `scores` on rows `idx`. */
export function quality(rows: readonly BookRow[], idx: readonly number[], scores: ArrayLike<number>) {
  const labels = idx.map((i) => (rows[i] as BookRow).fraud);
  const cp = cardPrecisionTopK(
    idx.map((i, k) => {
      const r = rows[i] as BookRow;
      return { day: Math.floor(r.timestampMs / DAY_MS), cardId: r.accountId, score: scores[k] as number, fraud: r.fraud };
    }),
    100,
  );
  return { auc: rocAuc(labels, scores), averagePrecision: averagePrecision(labels, scores), cardPrecisionAt100: cp.mean };
}

export async function trainOnBook(rows: readonly BookRow[], x: Float32Array, options: TrainRunOptions): Promise<TrainRunResult> {
  if (rows.length === 0) throw new Error('no transactions to train on');
  const log = options.log ?? (() => {});
  const first = (rows[0] as BookRow).timestampMs;
  const last = rows.reduce((m, r) => Math.max(m, r.timestampMs), first);
  const from = options.from ?? startOfDay(first) + WARMUP_DAYS * DAY_MS;
  const to = options.to ?? startOfDay(last) + DAY_MS;
  const validationFrom = to - options.validationDays * DAY_MS;
  const trainIdx = rowsBetween(rows, from, validationFrom);
  const valIdx = options.validationDays > 0 ? rowsBetween(rows, validationFrom, to) : [];
  if (trainIdx.length === 0) throw new Error(`no transactions between ${isoDay(from)} and ${isoDay(validationFrom)}`);
  const y = Uint8Array.from(rows, (r) => r.fraud);
  const frauds = trainIdx.reduce((n, i) => n + (y[i] as number), 0);
  log(`training on ${trainIdx.length} transactions (${frauds} fraud) from ${isoDay(from)} to ${isoDay(validationFrom - 1)}`);
  if (valIdx.length > 0) log(`validating on ${valIdx.length} transactions from ${isoDay(validationFrom)} to ${isoDay(to - 1)}`);

  const valX = gatherRows(x, valIdx);
  const valY = valIdx.map((i) => y[i] as number);
  const trained = await trainClassifier(x, y, trainIdx, {
    ...options.train,
    ...(valIdx.length > 0 ? { select: (predict: (v: Float32Array) => Float32Array) => averagePrecision(valY, predict(valX)) } : {}),
    onEpoch: ({ epoch, loss, selection }) =>
      log(`epoch ${epoch}/${options.train.epochs}  loss ${loss.toFixed(5)}${selection !== undefined ? `  validation AP ${selection.toFixed(4)}` : ''}`),
  });

  const heldIdx = valIdx.length > 0 ? valIdx : trainIdx;
  const heldScores = predictRaw(trained.model, trained.normalization, gatherRows(x, heldIdx));
  const thresholds = chooseThresholds(heldIdx.map((i) => y[i] as number), heldScores);
  const figures = quality(rows, heldIdx, heldScores);
  log(`best epoch ${trained.bestEpoch}; held-out AUC ${figures.auc.toFixed(4)} AP ${figures.averagePrecision.toFixed(4)}; thresholds review ${thresholds.review} block ${thresholds.block}`);

  const card: ModelCard = {
    name: 'veto-fraud-mlp',
    version: options.version,
    description: 'Multi-layer perceptron scoring the fraud probability of a card transaction from event-time account and terminal features.',
    features: FEATURES,
    normalization: trained.normalization,
    thresholds,
    architecture: { hidden: options.train.hidden, activation: 'relu', output: 'sigmoid (fraud probability)' },
    training: {
      data: options.dataDescription,
      from: isoDay(from),
      to: isoDay(validationFrom - 1),
      validationFrom: valIdx.length > 0 ? isoDay(validationFrom) : '',
      rows: trainIdx.length,
      frauds,
      seed: options.train.seed,
      epochs: trained.bestEpoch,
      batchSize: options.train.batchSize,
      learningRate: options.train.learningRate,
      labelDelayDays: options.labelDelayMs / DAY_MS,
    },
    metrics: {
      validation: { ...figures, transactions: heldIdx.length, frauds: heldIdx.reduce((n, i) => n + (y[i] as number), 0) },
      evaluations: [],
    },
  };
  return { model: trained.model, card };
}
