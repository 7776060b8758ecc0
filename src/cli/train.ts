/** `veto train`: trains the classifier on a book-schema CSV through the engine's own actors. */
import { basename } from 'node:path';
import { parseBookDatetime } from '../data/csv-reader.js';
import { DAY_MS } from '../domain/time.js';
import { replayFeatures } from '../engine/replay.js';
import { saveModel } from '../model/artifact.js';
import { initTensorflow } from '../model/tf.js';
import { DEFAULT_TRAIN_OPTIONS } from '../model/train.js';
import { trainOnBook } from '../pipeline/train.js';
import { intOption, loadBook, log, parseCommand, progress, requireString, runCommand, UsageError } from './args.js';

export const TRAIN_USAGE = `Usage: veto train --in tx.csv --out models/<version> [options]

Replays the file through the account and terminal actors (fraud labels revealed
--label-delay-days after each transaction), trains an MLP on the features of
[--from, --to) and writes model.json + weights.bin + card.json.

Options:
  --in FILE                 transactions in the book's CSV schema (required)
  --out DIR                 output model directory (required)
  --from YYYY-MM-DD         first training day (default: 37 days after the first transaction)
  --to YYYY-MM-DD           end of training, exclusive (default: the day after the last transaction)
  --validation-days N       last N days held out for epoch selection and thresholds (default 14; 0: none)
  --epochs N                training epochs (default ${DEFAULT_TRAIN_OPTIONS.epochs})
  --hidden 64,32            hidden layer sizes (default ${DEFAULT_TRAIN_OPTIONS.hidden.join(',')})
  --batch-size N            minibatch size (default ${DEFAULT_TRAIN_OPTIONS.batchSize})
  --seed N                  random seed (default ${DEFAULT_TRAIN_OPTIONS.seed}); same data + seed → same model
  --label-delay-days N      label delay (default 7)
  --version NAME            version recorded in the card (default: the --out folder name)
`;

function dayOption(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseBookDatetime(String(value));
  if (ms === undefined || ms % DAY_MS !== 0) throw new UsageError(`${flag} must be a date YYYY-MM-DD, got '${String(value)}'`);
  return ms;
}

export function runTrain(argv: string[]): Promise<number> {
  return runCommand(argv, TRAIN_USAGE, async () => {
    const v = parseCommand(argv, {
      in: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'validation-days': { type: 'string' },
      epochs: { type: 'string' },
      hidden: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      'label-delay-days': { type: 'string' },
      version: { type: 'string' },
    });
    const input = requireString(v.in, '--in');
    const out = requireString(v.out, '--out');
    const hidden = v.hidden === undefined ? DEFAULT_TRAIN_OPTIONS.hidden : String(v.hidden).split(',').map((h) => intOption(h, '--hidden', 0, 1));
    const labelDelayMs = intOption(v['label-delay-days'], '--label-delay-days', 7) * DAY_MS;
    const from = dayOption(v.from, '--from');
    const to = dayOption(v.to, '--to');
    const train = {
      hidden,
      epochs: intOption(v.epochs, '--epochs', DEFAULT_TRAIN_OPTIONS.epochs, 1),
      batchSize: intOption(v['batch-size'], '--batch-size', DEFAULT_TRAIN_OPTIONS.batchSize, 1),
      learningRate: DEFAULT_TRAIN_OPTIONS.learningRate,
      seed: intOption(v.seed, '--seed', DEFAULT_TRAIN_OPTIONS.seed),
    };
    const backend = await initTensorflow();
    log(`TensorFlow.js backend: ${backend}`);
    const rows = await loadBook(input);
    const started = Date.now();
    const x = replayFeatures(rows, { labelDelayMs, ...withProgress('replaying') });
    log(`features of ${rows.length.toLocaleString('en-US')} transactions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { model, card } = await trainOnBook(rows, x, {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      validationDays: intOption(v['validation-days'], '--validation-days', 14),
      labelDelayMs,
      train,
      version: typeof v.version === 'string' ? v.version : basename(out),
      dataDescription: `${basename(input)}: ${rows.length} transactions`,
      log,
    });
    await saveModel(out, model, card);
    log(`model written to ${out}`);
    return 0;
  });
}

function withProgress(label: string): { onProgress?: (done: number, total: number) => void } {
  const p = progress(label);
  return p ? { onProgress: p } : {};
}
