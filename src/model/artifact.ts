/**
 * Reading and writing model artifacts: the standard TF.js layers format
 * (`model.json` + `weights.bin`, loadable by any TF.js runtime) plus `card.json`.
 * File I/O is done here rather than through tfjs-node's `file://` handler, so
 * the same files load on every backend.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_NAMES } from '../domain/features.js';
import type { EvaluationRecord, ModelCard } from './card.js';
import { tf } from './tf.js';

export class ModelLoadError extends Error {
  readonly code = 'MODEL_LOAD_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

export interface LoadedModel {
  readonly model: tf.LayersModel;
  readonly card: ModelCard;
  readonly dir: string;
}

/** Writes `model.json`, `weights.bin` and `card.json` into `dir`. */
export async function saveModel(dir: string, model: tf.LayersModel, card: ModelCard): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, 'weights.bin'), Buffer.from(weightData));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  await writeFile(join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
}

/** Loads a model directory written by `saveModel` (or any TF.js layers model with a veto card). */
export async function loadModel(dir: string): Promise<LoadedModel> {
  let card: ModelCard;
  let modelJson: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard;
    modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as typeof modelJson;
  } catch (cause) {
    throw new ModelLoadError(`cannot read model in ${dir}: ${(cause as Error).message}`, { cause });
  }
  const names = card.features?.map((f) => f.name) ?? [];
  if (names.join(',') !== FEATURE_NAMES.join(',')) {
    throw new ModelLoadError(
      `model in ${dir} expects features [${names.join(', ')}] but this engine computes [${FEATURE_NAMES.join(', ')}]`,
    );
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
    return { model, card, dir };
  } catch (cause) {
    throw new ModelLoadError(`invalid TF.js model in ${dir}: ${(cause as Error).message}`, { cause });
  }
}

/** Appends (or replaces, for the same data and split) an evaluation in the model's card.json. */
export async function recordEvaluation(dir: string, evaluation: EvaluationRecord): Promise<void> {
  const path = join(dir, 'card.json');
  const card = JSON.parse(await readFile(path, 'utf8')) as ModelCard;
  const others = card.metrics.evaluations.filter((e) => e.data !== evaluation.data || e.split !== evaluation.split);
  const updated: ModelCard = { ...card, metrics: { ...card.metrics, evaluations: [...others, evaluation] } };
  await writeFile(path, `${JSON.stringify(updated, null, 2)}\n`);
}
