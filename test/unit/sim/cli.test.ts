import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../../src/cli/simulate.js';
import { simulateToString } from '../../../src/sim/mod.js';

function capture(isTTY = false): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const parts: string[] = [];
  const stream: Writable & { isTTY?: boolean } = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk.toString());
      cb();
    },
  });
  stream.isTTY = isTTY;
  return { stream, text: () => parts.join('') };
}

async function cli(argv: string[], isTTY = false): Promise<{ code: number; err: string; out: string }> {
  const err = capture(isTTY);
  const out = capture();
  const code = await runSimulate(argv, { stderr: err.stream, stdout: out.stream });
  return { code, err: err.text(), out: out.text() };
}

const dir = mkdtempSync(join(tmpdir(), 'veto-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SMALL = ['--customers', '100', '--terminals', '200', '--days', '20', '--seed', '9'];

describe('veto simulate', () => {
  it('writes the CSV and a summary, without progress when stderr is not a TTY', async () => {
    const file = join(dir, 'a.csv');
    const { code, err } = await cli([...SMALL, '--out', file]);
    expect(code).toBe(0);
    const expected = await simulateToString({ customers: 100, terminals: 200, days: 20, seed: 9 });
    expect(readFileSync(file, 'latin1')).toBe(expected.csv);
    expect(err).not.toContain('\r');
    expect(err).toContain(`simulated ${expected.summary.transactions.toLocaleString('en-US')} transactions`);
    expect(err).toMatch(/frauds: [\d,]+ \(\d+\.\d{3}%\)\s+scenario 1: [\d,]+\s+scenario 2: [\d,]+\s+scenario 3: [\d,]+/);
    expect(err).toContain(file);
  });

  it('shows progress on a TTY', async () => {
    const { code, err } = await cli([...SMALL, '--out', join(dir, 'b.csv')], true);
    expect(code).toBe(0);
    expect(err).toMatch(/\r {2}day 20\/20 {2}[\d,]+ tx/);
  });

  it('honours --start and --radius, and "-" for stdout', async () => {
    const { code, out } = await cli([...SMALL, '--days', '2', '--start', '2021-12-31', '--radius', '7.5', '--out', '-']);
    expect(code).toBe(0);
    const expected = await simulateToString({
      customers: 100,
      terminals: 200,
      days: 2,
      seed: 9,
      radius: 7.5,
      startDate: new Date(Date.UTC(2021, 11, 31)),
    });
    expect(out).toBe(expected.csv);
    expect(out).toContain('\n0,2021-12-31 ');
    expect(out).toContain(',2022-01-01 ');
  });

  it.each([
    [[...SMALL], /--out FILE is required/],
    [['--out', 'x.csv', '--customers', '-5'], /customers/],
    [['--out', 'x.csv', '--customers=-5'], /--customers must be a non-negative integer/],
    [['--out', 'x.csv', '--days', '1.5'], /--days must be a non-negative integer/],
    [['--out', 'x.csv', '--days', '0'], /--days must be at least 1/],
    [['--out', 'x.csv', '--terminals', 'ten'], /--terminals must be a non-negative integer/],
    [['--out', 'x.csv', '--seed', '1e3'], /--seed must be a non-negative integer/],
    [['--out', 'x.csv', '--start', '2018-02-30'], /--start must be a date YYYY-MM-DD/],
    [['--out', 'x.csv', '--radius', '0'], /--radius must be a positive number/],
    [['--out', 'x.csv', '--bogus'], /Unknown option '--bogus'/],
    [['--out', 'x.csv', 'extra'], /Unexpected argument 'extra'/],
    [['--out'], /argument missing/],
  ])('rejects %j with exit code 2', async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('usage: veto simulate');
    expect(existsSync('x.csv')).toBe(false);
  });

  it('prints help', async () => {
    const { code, err } = await cli(['--help']);
    expect(code).toBe(0);
    expect(err).toContain('--customers N');
  });

  it('returns 1 when the file cannot be written', async () => {
    const blocker = join(dir, 'file-not-dir');
    await cli([...SMALL, '--days', '1', '--out', blocker]);
    const { code, err } = await cli([...SMALL, '--days', '1', '--out', join(blocker, 'out.csv')]);
    expect(code).toBe(1);
    expect(err).toMatch(/^veto simulate: /m);
  });
});
