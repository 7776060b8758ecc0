/**
 * The offline loop as a user runs it: simulate → train → evaluate → backtest,
 * through the real `veto` CLI. Checks that backtest scores reproduce evaluate's
 * figures exactly and that bad CSV rows are reported with their line numbers.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), maxBuffer: 64 << 20 });

describe('veto CLI end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veto-e2e-'));
  const csv = join(dir, 'tx.csv');
  const model = join(dir, 'model');

  beforeAll(async () => {
    await cli('simulate', '--customers', '150', '--terminals', '300', '--days', '140', '--seed', '11', '--out', csv);
    await cli('train', '--in', csv, '--out', model, '--epochs', '2', '--hidden', '16', '--validation-days', '14');
  }, 120_000);

  it('train writes a TF.js model and a card describing it', () => {
    const card = JSON.parse(readFileSync(join(model, 'card.json'), 'utf8'));
    expect(existsSync(join(model, 'model.json'))).toBe(true);
    expect(existsSync(join(model, 'weights.bin'))).toBe(true);
    expect(card.features.length).toBe(19);
    expect(card.training.rows).toBeGreaterThan(1000);
    expect(card.thresholds.review).toBeLessThanOrEqual(card.thresholds.block);
  });

  it('backtest skips and reports bad rows, and its scores reproduce evaluate exactly', async () => {
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const header = lines[0] as string;
    const body = lines.slice(1);
    // Insert three bad rows; their physical line numbers in the new file are 3, 6 and 9.
    const bad = [header, body[0], 'x,2018-04-01 00:00:01,1,2,abc,1,0,0,0', body[1], body[2], '7,not-a-date,1,2,3.00,1,0,0,0', body[3], body[4], '8,2018-04-01 00:00:09,1,2,-5.00,9,0,0,0', ...body.slice(5)];
    const badCsv = join(dir, 'bad.csv');
    writeFileSync(badCsv, `${bad.join('\n')}\n`);
    const scores = join(dir, 'scores.csv');
    const bt = await cli('backtest', '--in', badCsv, '--out', scores, '--model', model);
    expect(bt.stderr).toMatch(/bad\.csv:3: skipped/);
    expect(bt.stderr).toMatch(/bad\.csv:6: skipped/);
    expect(bt.stderr).toMatch(/bad\.csv:9: skipped/);
    const out = readFileSync(scores, 'utf8').trimEnd().split('\n');
    expect(out[0]).toBe('TRANSACTION_ID,score,decision');
    expect(out.length - 1).toBe(body.length);
    for (const line of out.slice(1, 50)) expect(line).toMatch(/^\d+,[0-9.e-]+,(allow|review|block)$/);

    const fromModel = JSON.parse((await cli('evaluate', '--in', csv, '--model', model, '--json')).stdout);
    const fromScores = JSON.parse((await cli('evaluate', '--in', csv, '--scores', scores, '--json')).stdout);
    expect(fromModel.transactions).toBeGreaterThan(300);
    expect(fromScores.auc).toBe(fromModel.auc);
    expect(fromScores.averagePrecision).toBe(fromModel.averagePrecision);
    expect(fromScores.cardPrecisionAt100).toBe(fromModel.cardPrecisionAt100);
  }, 120_000);

  it('usage errors exit with code 2 and a message', async () => {
    await expect(cli('backtest', '--in', csv)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--out is required/) });
    await expect(cli('nope')).rejects.toMatchObject({ code: 2 });
  });
});
