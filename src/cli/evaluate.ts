/** `veto evaluate`: the book's protocol on a CSV, with the shipped model, a fresh model, or a scores file. */
import { basename } from 'node:path';
import type { BookRow } from '../data/book-row.js';
import { bookSplit, selectTrainSet } from '../data/protocol.js';
import { DAY_MS } from '../domain/time.js';
import { replayFeatures } from '../engine/replay.js';
import { loadModel, recordEvaluation } from '../model/artifact.js';
import { defaultModelDir } from '../model/location.js';
import { Scorer } from '../model/scorer.js';
import { initTensorflow } from '../model/tf.js';
import { DEFAULT_TRAIN_OPTIONS, predictRaw } from '../model/train.js';
import { BOOK_BASELINES, BOOK_BEST, formatComparison } from '../pipeline/baselines.js';
import { evaluateSplit, type EvaluationResult } from '../pipeline/evaluate.js';
import { readScores } from '../pipeline/scores-file.js';
import { trainOnBook } from '../pipeline/train.js';
import { intOption, loadBook, log, parseCommand, requireString, runCommand } from './args.js';

export const EVALUATE_USAGE = `Usage: veto evaluate --in tx.csv [--model DIR | --train | --scores FILE] [options]

Follows the handbook's protocol: train window --train-start + 7 days, a 7-day
delay, then 7 test days from which cards already known to be compromised are
removed. Prints AUC ROC, Average Precision and Card Precision@100 next to the
book's published baselines for the same split.

Options:
  --in FILE              transactions in the book's CSV schema (required)
  --model DIR            model to score with (default: the shipped model)
  --train                first train a fresh model on the file's own training window (same training code)
  --scores FILE          evaluate a scores file written by 'veto backtest' instead of scoring
  --train-start DATE     first training day (default 2018-07-25)
  --label-delay-days N   label delay for the replay (default 7)
  --epochs N             with --train: epochs (default ${DEFAULT_TRAIN_OPTIONS.epochs})
  --seed N               with --train: seed (default ${DEFAULT_TRAIN_OPTIONS.seed})
  --json                 print the figures as JSON on stdout
  --record               append the figures to the model's card.json (metrics.evaluations)
`;

export function runEvaluate(argv: string[]): Promise<number> {
  return runCommand(argv, EVALUATE_USAGE, async () => {
    const v = parseCommand(argv, {
      in: { type: 'string' },
      model: { type: 'string' },
      train: { type: 'boolean' },
      scores: { type: 'string' },
      'train-start': { type: 'string' },
      'label-delay-days': { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      record: { type: 'boolean' },
    });
    const input = requireString(v.in, '--in');
    const split = bookSplit(typeof v['train-start'] === 'string' ? { trainStart: v['train-start'] } : {});
    const labelDelayMs = intOption(v['label-delay-days'], '--label-delay-days', 7) * DAY_MS;
    const rows = await loadBook(input);

    let name: string;
    let result: EvaluationResult;
    if (typeof v.scores === 'string') {
      const scores = await readScores(v.scores);
      name = `scores from ${basename(v.scores)}`;
      result = evaluateSplit(rows, split, (i) => scores.get((rows[i] as BookRow).txId));
    } else {
      log(`TensorFlow.js backend: ${await initTensorflow()}`);
      const x = replayFeatures(rows, { labelDelayMs });
      if (v.train === true) {
        const trained = await trainOnBook(rows, x, {
          from: split.trainStartMs,
          to: split.trainEndMs,
          validationDays: 0,
          labelDelayMs,
          train: {
            ...DEFAULT_TRAIN_OPTIONS,
            epochs: intOption(v.epochs, '--epochs', DEFAULT_TRAIN_OPTIONS.epochs, 1),
            seed: intOption(v.seed, '--seed', DEFAULT_TRAIN_OPTIONS.seed),
          },
          version: 'fresh',
          dataDescription: basename(input),
          log,
        });
        name = `veto MLP trained on ${selectTrainSet(rows, split).length} rows of this file`;
        const scores = predictRaw(trained.model, trained.card.normalization, x);
        result = evaluateSplit(rows, split, (i) => scores[i]);
      } else {
        const dir = typeof v.model === 'string' ? v.model : defaultModelDir();
        const scorer = new Scorer(await loadModel(dir));
        name = `veto ${scorer.loaded.card.name} ${scorer.version}`;
        const scores = scorer.score(x);
        result = evaluateSplit(rows, split, (i) => scores[i]);
        if (v.record === true) {
          await recordEvaluation(dir, {
            data: `${basename(input)} (${rows.length} transactions)`,
            split: `book split from ${typeof v['train-start'] === 'string' ? v['train-start'] : '2018-07-25'}`,
            transactions: result.transactions,
            frauds: result.frauds,
            auc: result.auc,
            averagePrecision: result.averagePrecision,
            cardPrecisionAt100: result.cardPrecisionAt100,
          });
          log(`recorded in ${dir}/card.json`);
        }
      }
    }
    printResult(input, split, name, result, v.json === true);
    return 0;
  });
}

function printResult(input: string, split: ReturnType<typeof bookSplit>, name: string, r: EvaluationResult, json: boolean): void {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (json) {
    process.stdout.write(`${JSON.stringify({ file: input, model: name, ...r })}\n`);
    return;
  }
  const beats = {
    auc: r.auc > BOOK_BEST.auc,
    ap: r.averagePrecision > BOOK_BEST.averagePrecision,
    cp: r.cardPrecisionAt100 > BOOK_BEST.cardPrecisionAt100,
  };
  const mark = (b: boolean) => (b ? 'yes' : 'NO');
  process.stdout.write(
    [
      `File: ${input}`,
      `Split: train ${day(split.trainStartMs)}..${day(split.trainEndMs - DAY_MS)}, delay ${split.delayDays} days, test ${day(split.testStartMs)}..${day(split.testEndMs - DAY_MS)}`,
      `Test set: ${r.transactions} transactions, ${r.frauds} fraud; ${r.removed} removed (cards known compromised)`,
      '',
      formatComparison([...BOOK_BASELINES, { model: name, auc: r.auc, averagePrecision: r.averagePrecision, cardPrecisionAt100: r.cardPrecisionAt100 }]),
      '',
      `Beats the best published value: AUC ${mark(beats.auc)} (> ${BOOK_BEST.auc}), AP ${mark(beats.ap)} (> ${BOOK_BEST.averagePrecision}), CP@100 ${mark(beats.cp)} (> ${BOOK_BEST.cardPrecisionAt100})`,
      '',
    ].join('\n'),
  );
}
