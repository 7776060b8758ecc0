/** The backtest output: `TRANSACTION_ID,score,decision`, one line per transaction. */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { Decision } from '../domain/decision.js';

export const SCORES_HEADER = 'TRANSACTION_ID,score,decision';

/** Shortest decimal that reads back as the same float32 (9 significant digits suffice). */
export function formatScore(score: number): string {
  return String(Number(score.toPrecision(9)));
}

export async function writeScores(path: string, rows: Iterable<{ txId: string; score: number; decision: Decision }>): Promise<void> {
  const out = createWriteStream(path);
  let chunk = `${SCORES_HEADER}\n`;
  for (const r of rows) {
    chunk += `${r.txId},${formatScore(r.score)},${r.decision}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await finished(out);
}

/** Reads a scores file into txId → score. */
export async function readScores(path: string): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (line === 1) {
      if (!text.startsWith('TRANSACTION_ID,score')) throw new Error(`${path}: expected header '${SCORES_HEADER}'`);
      continue;
    }
    if (text.length === 0) continue;
    const [txId, score] = text.split(',');
    const value = Number(score);
    if (txId === undefined || txId === '' || score === undefined || score === '' || !Number.isFinite(value)) {
      throw new Error(`${path}:${line}: invalid line '${text.slice(0, 80)}'`);
    }
    scores.set(txId, value);
  }
  return scores;
}
