/** Writes a simulation as the book's CSV, streaming with backpressure. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CSV_HEADER, CsvEncoder } from './csv.js';
import { Simulation } from './generator.js';
import type { SimulateOptions } from './options.js';
import type { SimTrace } from './scenarios.js';

export interface SimulationSummary {
  readonly transactions: number;
  readonly frauds: number;
  /** frauds / transactions (0 when there are none). */
  readonly fraudRate: number;
  /** Final TX_FRAUD_SCENARIO counts (a later scenario overwrites an earlier one). */
  readonly byScenario: { readonly 1: number; readonly 2: number; readonly 3: number };
  readonly days: number;
  readonly customers: number;
  readonly terminals: number;
  /** Customers with no terminal within the radius (they never transact). */
  readonly customersWithoutTerminals: number;
  readonly seed: number;
  /** `YYYY-MM-DD HH:MM:SS` of the start of day 0. */
  readonly startDate: string;
  /** Bytes of CSV written, header included. */
  readonly bytes: number;
  readonly elapsedMs: number;
}

export interface SimulateProgress {
  /** Days written so far. */
  readonly day: number;
  readonly days: number;
  /** Transactions written so far. */
  readonly transactions: number;
}

export type ProgressCallback = (progress: SimulateProgress) => void;

/**
 * Simulates and writes the CSV to `out`: a file path (parent directories are
 * created; written to `<path>.partial` then renamed, so readers never see a
 * half file) or a writable stream, which is NOT ended (so process.stdout works).
 * Pass a Simulation instead of options to reuse its profiles; pass `trace` to
 * record the compromised terminals and customers.
 */
export async function simulate(
  options: Partial<SimulateOptions> | Simulation,
  out: NodeJS.WritableStream | string,
  onProgress?: ProgressCallback,
  trace?: SimTrace,
): Promise<SimulationSummary> {
  const t0 = performance.now();
  const sim = options instanceof Simulation ? options : new Simulation(options);
  if (typeof out !== 'string') return writeCsv(sim, out, t0, onProgress, trace);
  await mkdir(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  const stream = createWriteStream(partial, { highWaterMark: 1 << 20 });
  try {
    const summary = await writeCsv(sim, stream, t0, onProgress, trace);
    stream.end();
    await finished(stream);
    await rename(partial, out);
    return { ...summary, elapsedMs: performance.now() - t0 };
  } catch (err) {
    stream.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

/** Simulates into memory; for tests and small data sets. */
export async function simulateToString(
  options: Partial<SimulateOptions> | Simulation,
  trace?: SimTrace,
): Promise<{ csv: string; summary: SimulationSummary }> {
  const parts: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk.toString('latin1'));
      callback();
    },
  });
  const summary = await simulate(options, sink, undefined, trace);
  return { csv: parts.join(''), summary };
}

async function writeCsv(
  sim: Simulation,
  out: NodeJS.WritableStream,
  t0: number,
  onProgress: ProgressCallback | undefined,
  trace: SimTrace | undefined,
): Promise<SimulationSummary> {
  let failure: unknown;
  const onError = (err: unknown): void => {
    failure ??= err;
  };
  out.on('error', onError);
  let bytes = 0;
  const write = async (chunk: Buffer | string): Promise<void> => {
    if (failure !== undefined) throw failure;
    bytes += chunk.length; // the CSV is pure ASCII
    if (!out.write(chunk)) {
      if (failure !== undefined) throw failure;
      await once(out, 'drain');
    }
  };
  try {
    const { options, profiles } = sim;
    const encoder = new CsvEncoder(options.startDate);
    const byScenario = { 1: 0, 2: 0, 3: 0 };
    let transactions = 0;
    let daysDone = 0;
    await write(CSV_HEADER);
    for (const day of sim.days(trace)) {
      for (const chunk of encoder.chunks(day)) await write(chunk);
      for (let i = 0; i < day.count; i++) {
        const sc = day.scenario[i]!;
        if (sc === 1 || sc === 2 || sc === 3) byScenario[sc]++;
      }
      transactions += day.count;
      daysDone++;
      onProgress?.({ day: daysDone, days: options.days, transactions });
    }
    if (failure !== undefined) throw failure;
    let customersWithoutTerminals = 0;
    for (let c = 0; c < profiles.customers; c++) {
      if (profiles.availableStart[c + 1] === profiles.availableStart[c]) customersWithoutTerminals++;
    }
    const frauds = byScenario[1] + byScenario[2] + byScenario[3];
    return {
      transactions,
      frauds,
      fraudRate: transactions > 0 ? frauds / transactions : 0,
      byScenario,
      days: options.days,
      customers: options.customers,
      terminals: options.terminals,
      customersWithoutTerminals,
      seed: options.seed,
      startDate: options.startDate.toISOString().slice(0, 19).replace('T', ' '),
      bytes,
      elapsedMs: performance.now() - t0,
    };
  } finally {
    out.removeListener('error', onError);
  }
}
