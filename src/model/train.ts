/**
 * Training of the fraud classifier: a small MLP on standardised features,
 * deterministic given a seed (seeded initialisers and our own seeded shuffles;
 * no dropout, no Math.random()).
 */
import { FEATURE_COUNT } from '../domain/features.js';
import { Rng } from '../domain/random.js';
import { fitNormalization, normalizeRows, type Normalization } from './normalization.js';
import { tf } from './tf.js';

export interface TrainOptions {
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Scores a candidate on held-out data after each epoch; the best epoch's weights are kept. */
  readonly select?: (predict: (x: Float32Array) => Float32Array) => number;
  readonly onEpoch?: (info: { epoch: number; loss: number; selection?: number }) => void;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  hidden: [64, 32],
  epochs: 8,
  batchSize: 256,
  learningRate: 1e-3,
  seed: 42,
};

export interface TrainedClassifier {
  readonly model: tf.LayersModel;
  readonly normalization: Normalization;
  readonly bestEpoch: number;
}

export function buildClassifier(hidden: readonly number[], seed: number): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        ...(i === 0 ? { inputShape: [FEATURE_COUNT] } : {}),
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
      }),
    );
  });
  model.add(
    tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }) }),
  );
  return model;
}

/** Predicts with raw (unnormalised) features through `norm`. */
export function predictRaw(model: tf.LayersModel, norm: Normalization, x: Float32Array): Float32Array {
  const n = x.length / FEATURE_COUNT;
  const z = normalizeRows(x, FEATURE_COUNT, norm);
  const out = new Float32Array(n);
  const chunk = 1024;
  for (let s = 0; s < n; s += chunk) {
    const rows = Math.min(chunk, n - s);
    const t = tf.tidy(() => model.predict(tf.tensor2d(z.subarray(s * FEATURE_COUNT, (s + rows) * FEATURE_COUNT), [rows, FEATURE_COUNT])) as tf.Tensor);
    out.set(t.dataSync() as Float32Array, s);
    t.dispose();
  }
  return out;
}

/**
 * Trains on rows `idx` of the row-major feature matrix `x` with labels `y`.
 * Returns the model with the weights of the best epoch (by `select`, else the last).
 */
export async function trainClassifier(
  x: Float32Array,
  y: ArrayLike<number>,
  idx: readonly number[],
  options: TrainOptions,
): Promise<TrainedClassifier> {
  const normalization = fitNormalization(x, FEATURE_COUNT, idx);
  const z = normalizeRows(x, FEATURE_COUNT, normalization, idx);
  const labels = Float32Array.from(idx, (i) => y[i] as number);
  const model = buildClassifier(options.hidden, options.seed);
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'binaryCrossentropy' });

  const rng = new Rng(options.seed);
  const order = Array.from({ length: idx.length }, (_, i) => i);
  const bx = new Float32Array(z.length);
  const by = new Float32Array(labels.length);
  let best = { score: -Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    rng.shuffle(order);
    for (let r = 0; r < order.length; r++) {
      const src = order[r] as number;
      bx.set(z.subarray(src * FEATURE_COUNT, (src + 1) * FEATURE_COUNT), r * FEATURE_COUNT);
      by[r] = labels[src] as number;
    }
    const xs = tf.tensor2d(bx, [order.length, FEATURE_COUNT]);
    const ys = tf.tensor2d(by, [order.length, 1]);
    const history = await model.fit(xs, ys, { epochs: 1, batchSize: options.batchSize, shuffle: false, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const loss = Number(history.history.loss?.[0] ?? NaN);
    const selection = options.select?.((v) => predictRaw(model, normalization, v));
    options.onEpoch?.({ epoch, loss, ...(selection !== undefined ? { selection } : {}) });
    if (selection === undefined || selection > best.score) {
      best.weights.forEach((w) => w.dispose());
      best = { score: selection ?? epoch, epoch, weights: model.getWeights().map((w) => w.clone()) };
    }
  }
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  return { model, normalization, bestEpoch: best.epoch };
}
