import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURES } from '../../src/domain/features.js';
import { Rng } from '../../src/domain/random.js';
import { loadModel, ModelLoadError, saveModel } from '../../src/model/artifact.js';
import type { ModelCard } from '../../src/model/card.js';
import { Scorer } from '../../src/model/scorer.js';
import { initTensorflow } from '../../src/model/tf.js';
import { trainClassifier } from '../../src/model/train.js';

/** A learnable synthetic problem: fraud iff feature 0 + feature 15 is large. */
function synthetic(n: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float32Array(n * FEATURE_COUNT);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < FEATURE_COUNT; c++) x[i * FEATURE_COUNT + c] = rng.normal(c, 1 + c);
    y[i] = (x[i * FEATURE_COUNT] as number) + (x[i * FEATURE_COUNT + 15] as number) > 17 ? 1 : 0;
  }
  return { x, y, idx: Array.from({ length: n }, (_, i) => i) };
}

const opts = { hidden: [8], epochs: 2, batchSize: 64, learningRate: 1e-2, seed: 7 };

describe('classifier training and artifacts', () => {
  const before = new Set([...process.listeners('unhandledRejection'), ...process.listeners('uncaughtException')]);
  beforeAll(async () => {
    expect(['tensorflow', 'wasm', 'cpu']).toContain(await initTensorflow());
  });

  it('the TF.js runtime leaves no process-wide crash handlers behind', () => {
    const after = [...process.listeners('unhandledRejection'), ...process.listeners('uncaughtException')];
    expect(after.filter((l) => !before.has(l))).toEqual([]);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const { x, y, idx } = synthetic(2000, 1);
    const a = await trainClassifier(x, y, idx, opts);
    const b = await trainClassifier(x, y, idx, opts);
    const c = await trainClassifier(x, y, idx, { ...opts, seed: 8 });
    const w = (m: typeof a) => m.model.getWeights().map((t) => Array.from(t.dataSync()));
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
  });

  it('learns the synthetic rule and survives a save/load round trip with identical scores', async () => {
    const { x, y, idx } = synthetic(3000, 2);
    const trained = await trainClassifier(x, y, idx, { ...opts, epochs: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'veto-model-'));
    const card = { version: 'test', name: 'test', features: FEATURES, normalization: trained.normalization, thresholds: { review: 0.3, block: 0.9, method: 'test' } } as unknown as ModelCard;
    await saveModel(dir, trained.model, card);
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
    const scorer = new Scorer(await loadModel(dir));
    const test = synthetic(500, 3);
    const scores = scorer.score(test.x);
    const direct = new Scorer({ model: trained.model, card, dir }).score(test.x);
    expect(Array.from(scores)).toEqual(Array.from(direct));
    let correct = 0;
    scores.forEach((s, i) => (correct += Number((s > 0.5 ? 1 : 0) === test.y[i])));
    expect(correct / scores.length).toBeGreaterThan(0.9);
  });

  it('refuses a model whose feature list differs from the engine', async () => {
    const { x, y, idx } = synthetic(200, 4);
    const trained = await trainClassifier(x, y, idx, { ...opts, epochs: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'veto-model-'));
    const card = { version: 'bad', features: FEATURES.slice(1), normalization: trained.normalization } as unknown as ModelCard;
    await saveModel(dir, trained.model, card);
    await expect(loadModel(dir)).rejects.toBeInstanceOf(ModelLoadError);
    await expect(loadModel(join(dir, 'missing'))).rejects.toThrow(/cannot read model/);
  });
});
