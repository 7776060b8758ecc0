/** Shared plumbing of the CLI commands: argument parsing, loading a CSV with bad-row reports. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BookRow } from '../data/book-row.js';
import { readBookCsvAll } from '../data/csv-reader.js';

export class UsageError extends Error {
  readonly code = 'USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly; throws UsageError with a readable message. */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function requireString(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`${flag} is required`);
  return value;
}

export function intOption(value: unknown, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${String(value)}'`);
  }
  return n;
}

/** Runs a command body, mapping UsageError to exit code 2 with the usage text. */
export async function runCommand(argv: string[], usage: string, body: () => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
}

export const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/** Reads a book-schema CSV; every rejected row is reported on stderr with its line number. */
export async function loadBook(path: string): Promise<BookRow[]> {
  const started = Date.now();
  let bad = 0;
  const { rows } = await readBookCsvAll(path, {
    onBadRow: (b) => {
      bad++;
      if (bad <= 100) log(`${path}:${b.line}: skipped: ${b.reason}`);
    },
  });
  if (bad > 100) log(`${path}: ${bad - 100} more rows skipped`);
  log(`read ${rows.length.toLocaleString('en-US')} transactions from ${path}${bad > 0 ? `, ${bad} rows skipped` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return rows;
}

/** A progress reporter for long replays, drawn only on a TTY. */
export function progress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    process.stderr.write(`\r${label} ${((100 * done) / Math.max(total, 1)).toFixed(0)}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')})`);
    if (done >= total) process.stderr.write('\n');
  };
}
