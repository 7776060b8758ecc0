/** `veto backtest`: replays a CSV through the actors and a model in time order and writes every row's score and decision. */
import { decisionForScore } from '../domain/decision.js';
import { DAY_MS } from '../domain/time.js';
import { replayFeatures } from '../engine/replay.js';
import { loadModel } from '../model/artifact.js';
import { defaultModelDir } from '../model/location.js';
import { Scorer } from '../model/scorer.js';
import { initTensorflow } from '../model/tf.js';
import { writeScores } from '../pipeline/scores-file.js';
import { intOption, loadBook, log, parseCommand, progress, requireString, runCommand } from './args.js';

export const BACKTEST_USAGE = `Usage: veto backtest --in tx.csv --out scores.csv [--model DIR] [--label-delay-days 7]

Replays the transactions in event-time order through the account and terminal
actors, revealing each fraud label --label-delay-days after its transaction,
scores every transaction with the model and applies its thresholds. Writes
TRANSACTION_ID,score,decision for every valid row, in input order. Invalid
rows are reported with their line number and skipped.
`;

export function runBacktest(argv: string[]): Promise<number> {
  return runCommand(argv, BACKTEST_USAGE, async () => {
    const v = parseCommand(argv, {
      in: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      'label-delay-days': { type: 'string' },
    });
    const input = requireString(v.in, '--in');
    const out = requireString(v.out, '--out');
    const labelDelayMs = intOption(v['label-delay-days'], '--label-delay-days', 7) * DAY_MS;
    const started = Date.now();
    log(`TensorFlow.js backend: ${await initTensorflow()}`);
    const scorer = new Scorer(await loadModel(typeof v.model === 'string' ? v.model : defaultModelDir()));
    const rows = await loadBook(input);
    const p = progress('replaying');
    const x = replayFeatures(rows, { labelDelayMs, ...(p ? { onProgress: p } : {}) });
    const scores = scorer.score(x);
    const thresholds = scorer.loaded.card.thresholds;
    const counts = { allow: 0, review: 0, block: 0 };
    await writeScores(
      out,
      rows.map((r, i) => {
        const score = scores[i] as number;
        const decision = decisionForScore(score, thresholds);
        counts[decision]++;
        return { txId: r.txId, score, decision };
      }),
    );
    log(
      `backtest of ${rows.length} transactions with model ${scorer.version} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `allow ${counts.allow}, review ${counts.review}, block ${counts.block} → ${out}`,
    );
    return 0;
  });
}
