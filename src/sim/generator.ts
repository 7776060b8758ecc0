/**
 * Streaming generator of the book's simulated transactions: day by day, with
 * only a ring of the last 14 days in memory (the span of a scenario-3 window).
 */
import { Rng } from '../domain/random.js';
import type { BookRow } from '../data/book-row.js';
import { DayScratch, generateDay, type SimDay } from './day.js';
import { SCENARIO3_WINDOW_DAYS, SECONDS_PER_DAY, deriveSeed, resolveOptions, type SimulateOptions } from './options.js';
import { generateProfiles, type Profiles } from './profiles.js';
import { Scenario2, Scenario3, applyScenario1, type SimTrace } from './scenarios.js';

export class Simulation {
  readonly options: SimulateOptions;
  readonly profiles: Profiles;

  /** Draws the profiles (book defaults for missing options). Throws RangeError on bad options. */
  constructor(options: Partial<SimulateOptions> = {}) {
    this.options = resolveOptions(options);
    this.profiles = generateProfiles(this.options);
  }

  /**
   * The final days, in order, with TRANSACTION_IDs assigned (`firstId`).
   * Each call restarts the same deterministic sequence; `trace` (if given)
   * receives the compromised terminals and customers as they are drawn.
   */
  *days(trace?: SimTrace): Generator<SimDay, void, undefined> {
    const { days, seed } = this.options;
    const p = this.profiles;
    const txRng = new Rng(deriveSeed(seed, 'transactions'));
    const s2 = new Scenario2(p.terminals, new Rng(deriveSeed(seed, 'scenario2')), trace);
    const s3 = new Scenario3(p.customers, new Rng(deriveSeed(seed, 'scenario3')), trace);
    // Compromises start on days 0 .. days-2: the book's range(TX_TIME_DAYS.max()).
    const compromiseDays = days - 1;
    const scratch = new DayScratch();
    const ring: SimDay[] = [];
    let nextId = 0;
    let nextS3 = 0; // scenario 3 applied for every start day < nextS3
    const emit = (): SimDay => {
      const d = ring.shift()!;
      d.firstId = nextId;
      nextId += d.count;
      return d;
    };
    for (let d = 0; d < days; d++) {
      const day = generateDay(d, p, txRng, scratch);
      applyScenario1(day);
      if (d < compromiseDays) s2.compromise(d);
      s2.apply(day);
      ring.push(day);
      // The window of start day s is complete once day s + 13 exists.
      while (nextS3 < compromiseDays && nextS3 + SCENARIO3_WINDOW_DAYS - 1 <= d) s3.apply(nextS3++, ring);
      // Day t is final once every start day s <= t has been applied.
      while (ring.length > 0 && (ring[0]!.day < nextS3 || nextS3 >= compromiseDays)) yield emit();
    }
    while (nextS3 < compromiseDays) s3.apply(nextS3++, ring);
    while (ring.length > 0) yield emit();
  }

  /** The transactions as BookRow objects (convenient for tests; slower than days()). */
  *rows(trace?: SimTrace): Generator<BookRow, void, undefined> {
    const startMs = this.options.startDate.getTime();
    for (const day of this.days(trace)) {
      for (let i = 0; i < day.count; i++) {
        const timeSeconds = day.day * SECONDS_PER_DAY + day.seconds[i]!;
        const scenario = day.scenario[i]!;
        yield {
          txId: String(day.firstId + i),
          timestampMs: startMs + timeSeconds * 1000,
          accountId: String(day.customer[i]!),
          terminalId: String(day.terminal[i]!),
          amount: day.cents[i]! / 100,
          timeSeconds,
          timeDays: day.day,
          fraud: scenario > 0 ? 1 : 0,
          scenario,
        };
      }
    }
  }
}
