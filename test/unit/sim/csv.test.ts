import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBookDatetime } from '../../../src/data/book-row.js';
import { Simulation, formatCents, simulate, simulateToString, type SimulationSummary } from '../../../src/sim/mod.js';

const SMALL = { customers: 200, terminals: 400, days: 40, seed: 3 };
const HEADER =
  'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO';
const LINE = /^\d+,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d+,\d+,\d+\.\d{2},\d+,\d+,[01],[0-3]$/;

interface Parsed {
  id: number;
  datetime: string;
  customer: number;
  terminal: number;
  amount: string;
  seconds: number;
  days: number;
  fraud: number;
  scenario: number;
}

function parse(csv: string): { header: string; rows: Parsed[]; badLines: string[] } {
  expect(csv.endsWith('\n')).toBe(true);
  const lines = csv.slice(0, -1).split('\n');
  const header = lines.shift() ?? '';
  const badLines = lines.filter((l) => !LINE.test(l));
  const rows = lines.map((l) => {
    const f = l.split(',');
    return {
      id: Number(f[0]),
      datetime: f[1]!,
      customer: Number(f[2]),
      terminal: Number(f[3]),
      amount: f[4]!,
      seconds: Number(f[5]),
      days: Number(f[6]),
      fraud: Number(f[7]),
      scenario: Number(f[8]),
    };
  });
  return { header, rows, badLines };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('CSV output', () => {
  const sim = new Simulation(SMALL);
  let csv = '';
  let summary: SimulationSummary;
  let header = '';
  let rows: Parsed[] = [];
  let badLines: string[] = [];
  beforeAll(async () => {
    ({ csv, summary } = await simulateToString(sim));
    ({ header, rows, badLines } = parse(csv));
  });

  it('has the exact header and well-formed lines', () => {
    expect(header).toBe(HEADER);
    expect(rows.length).toBeGreaterThan(1000);
    expect(badLines).toEqual([]);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    expect((await simulateToString(SMALL)).csv).toBe(csv);
    const other = (await simulateToString({ ...SMALL, seed: 4 })).csv;
    expect(other).not.toBe(csv);
    expect(other.startsWith(HEADER)).toBe(true);
  });

  it('is sorted by datetime with TRANSACTION_ID 0..N-1', () => {
    expect(rows.findIndex((r, i) => r.id !== i)).toBe(-1);
    expect(rows.findIndex((r, i) => i > 0 && rows[i - 1]!.datetime > r.datetime)).toBe(-1);
    expect(rows.findIndex((r, i) => i > 0 && rows[i - 1]!.seconds > r.seconds)).toBe(-1);
  });

  it('has TX_TIME_SECONDS and TX_TIME_DAYS consistent with TX_DATETIME, each time within its day', () => {
    const start = Date.UTC(2018, 3, 1);
    const bad = rows.filter((r) => {
      const ms = Date.parse(`${r.datetime.replace(' ', 'T')}Z`);
      const inDay = r.seconds - r.days * 86400;
      return (
        ms !== start + r.seconds * 1000 ||
        r.days !== Math.floor(r.seconds / 86400) ||
        !(inDay > 0 && inDay < 86400) ||
        r.days >= SMALL.days
      );
    });
    expect(bad).toEqual([]);
    expect(rows[0]!.datetime.startsWith('2018-04-01 ')).toBe(true);
    expect(rows.at(-1)!.datetime.startsWith('2018-05-10 ')).toBe(true); // day 39
  });

  it('writes non-negative amounts with exactly two decimals, and TX_FRAUD = (scenario > 0)', () => {
    expect(rows.filter((r) => !/^\d+\.\d\d$/.test(r.amount) || Number(r.amount) < 0)).toEqual([]);
    expect(rows.filter((r) => r.fraud !== (r.scenario > 0 ? 1 : 0))).toEqual([]);
    // A row that is neither fraud nor scenario 3 keeps its original amount (<= 220).
    expect(rows.filter((r) => r.fraud === 0 && Number(r.amount) > 220)).toEqual([]);
    expect(rows.filter((r) => r.scenario === 1 && !(Number(r.amount) > 220))).toEqual([]);
  });

  it('matches Simulation.rows() and the summary', () => {
    const expected = [...sim.rows()].map((r) => [
      Number(r.txId),
      formatBookDatetime(r.timestampMs),
      Number(r.accountId),
      Number(r.terminalId),
      r.amount.toFixed(2),
      r.timeSeconds,
      r.timeDays,
      r.fraud,
      r.scenario,
    ]);
    expect(rows.map((r) => Object.values(r))).toEqual(expected);
    const count = (s: number): number => rows.filter((r) => r.scenario === s).length;
    expect(summary.transactions).toBe(rows.length);
    expect(summary.byScenario).toEqual({ 1: count(1), 2: count(2), 3: count(3) });
    expect(summary.frauds).toBe(rows.filter((r) => r.fraud === 1).length);
    expect(summary.fraudRate).toBeCloseTo(summary.frauds / rows.length, 12);
    expect(summary.bytes).toBe(Buffer.byteLength(csv));
    expect(count(1) * count(2) * count(3)).toBeGreaterThan(0);
  });

  it('handles a start that is not midnight (and crosses a leap day)', async () => {
    const startDate = new Date(Date.UTC(2020, 1, 28, 13, 45, 10));
    const { csv: shifted } = await simulateToString({ ...SMALL, days: 3, startDate });
    const p = parse(shifted);
    expect(p.badLines).toEqual([]);
    const bad = p.rows.filter((r) => r.datetime !== formatBookDatetime(startDate.getTime() + r.seconds * 1000));
    expect(bad).toEqual([]);
    expect(p.rows.some((r) => r.datetime.startsWith('2020-02-29'))).toBe(true);
    expect(p.rows.findIndex((r, i) => i > 0 && p.rows[i - 1]!.datetime > r.datetime)).toBe(-1);
  });

  it('writes a file atomically (creating the directory) and equals the in-memory output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veto-sim-test-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'out.csv');
    const progress: number[] = [];
    const s = await simulate(SMALL, file, (p) => progress.push(p.day));
    expect(readFileSync(file, 'latin1')).toBe(csv);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['out.csv']);
    expect(s.transactions).toBe(summary.transactions);
    expect(progress).toEqual(Array.from({ length: SMALL.days }, (_, i) => i + 1));
  });

  it('respects backpressure of a slow stream', async () => {
    const parts: Buffer[] = [];
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        setImmediate(cb);
      },
    });
    slow.on('drain', () => drains++);
    await simulate(SMALL, slow);
    expect(Buffer.concat(parts).toString('latin1')).toBe(csv);
    expect(drains).toBeGreaterThan(0);
  });

  it('rejects when the stream fails, and leaves no partial file', async () => {
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('disk full'));
      },
    });
    await expect(simulate(SMALL, failing)).rejects.toThrow('disk full');
    const dir = mkdtempSync(join(tmpdir(), 'veto-sim-test-'));
    dirs.push(dir);
    // A non-empty directory where the output file should be: the final rename fails.
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'x'), { recursive: true });
    await expect(simulate({ ...SMALL, days: 2 }, target)).rejects.toThrow();
    expect(existsSync(`${target}.partial`)).toBe(false);
  });

  it('formats cents', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(1234560)).toBe('12345.60');
    expect(formatCents(22001)).toBe('220.01');
  });
});
