/**
 * `veto simulate`: writes the handbook's simulated transactions as CSV.
 * `argv` is the arguments after the subcommand name.
 */
import { parseArgs } from 'node:util';
import { BOOK_DEFAULTS, simulate, type SimulateOptions, type SimulationSummary } from '../sim/mod.js';

export const SIMULATE_USAGE = `usage: veto simulate --out FILE [options]

Simulates card transactions and frauds as in the "Reproducible Machine Learning
for Credit Card Fraud Detection" handbook and writes them as CSV.

  --out FILE        output CSV file ("-" for stdout)          (required)
  --customers N     number of customers                       (default ${BOOK_DEFAULTS.customers})
  --terminals N     number of terminals                       (default ${BOOK_DEFAULTS.terminals})
  --days N          number of days                            (default ${BOOK_DEFAULTS.days})
  --seed S          random seed, a non-negative integer       (default ${BOOK_DEFAULTS.seed})
  --start DATE      first day, YYYY-MM-DD (UTC)               (default 2018-04-01)
  --radius R        customer-terminal radius                  (default ${BOOK_DEFAULTS.radius})
  -h, --help        show this help
`;

/** Where the command reports; injectable for tests. */
export interface SimulateCliIo {
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
}

class UsageError extends Error {}

function parseCount(name: string, raw: string | undefined, min: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--${name} must be a non-negative integer, got '${raw}'`);
  }
  if (value < min) throw new UsageError(`--${name} must be at least ${min}, got ${value}`);
  return value;
}

function parseRadius(raw: string | undefined): number {
  if (raw === undefined) return BOOK_DEFAULTS.radius;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(`--radius must be a positive number, got '${raw}'`);
  }
  return value;
}

function parseStart(raw: string | undefined): Date {
  if (raw === undefined) return new Date(BOOK_DEFAULTS.startDate.getTime());
  const date = new Date(`${raw}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
    throw new UsageError(`--start must be a date YYYY-MM-DD, got '${raw}'`);
  }
  return date;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function formatSummary(s: SimulationSummary, out: string): string {
  const pct = (s.fraudRate * 100).toFixed(3);
  const mb = (s.bytes / 1e6).toFixed(1);
  return (
    `simulated ${fmt(s.transactions)} transactions over ${fmt(s.days)} days ` +
    `(${fmt(s.customers)} customers, ${fmt(s.terminals)} terminals, seed ${s.seed}) ` +
    `in ${(s.elapsedMs / 1000).toFixed(1)} s\n` +
    `  frauds: ${fmt(s.frauds)} (${pct}%)  scenario 1: ${fmt(s.byScenario[1])}  ` +
    `scenario 2: ${fmt(s.byScenario[2])}  scenario 3: ${fmt(s.byScenario[3])}\n` +
    `  wrote ${out === '-' ? 'stdout' : out} (${mb} MB)\n`
  );
}

/** Runs `veto simulate`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function runSimulate(
  argv: string[],
  io: SimulateCliIo = { stderr: process.stderr, stdout: process.stdout },
): Promise<number> {
  let options: SimulateOptions;
  let out: string;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        customers: { type: 'string' },
        terminals: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
        start: { type: 'string' },
        radius: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      io.stderr.write(SIMULATE_USAGE);
      return 0;
    }
    if (values.out === undefined || values.out === '') throw new UsageError('--out FILE is required');
    out = values.out;
    options = {
      customers: parseCount('customers', values.customers, 1, BOOK_DEFAULTS.customers),
      terminals: parseCount('terminals', values.terminals, 1, BOOK_DEFAULTS.terminals),
      days: parseCount('days', values.days, 1, BOOK_DEFAULTS.days),
      seed: parseCount('seed', values.seed, 0, BOOK_DEFAULTS.seed),
      startDate: parseStart(values.start),
      radius: parseRadius(values.radius),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`veto simulate: ${message}\n\n${SIMULATE_USAGE}`);
    return 2;
  }

  const tty = io.stderr.isTTY === true;
  const onProgress = tty
    ? (p: { day: number; days: number; transactions: number }): void => {
        io.stderr.write(`\r  day ${p.day}/${p.days}  ${fmt(p.transactions)} tx`);
      }
    : undefined;
  try {
    const summary = await simulate(options, out === '-' ? io.stdout : out, onProgress);
    if (tty) io.stderr.write('\r\x1b[K');
    io.stderr.write(formatSummary(summary, out));
    return 0;
  } catch (err) {
    if (tty) io.stderr.write('\r\x1b[K');
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`veto simulate: ${message}\n`);
    return 1;
  }
}
