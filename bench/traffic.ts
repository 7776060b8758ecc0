/**
 * Realistic `POST /v1/authorize` bodies for the HTTP bench: the book's
 * transaction simulator (src/sim) with many accounts and terminals — amounts
 * ~ normal around each customer's mean, times of day around noon, the three
 * fraud scenarios — streamed day by day, so timestamps increase (ISO 8601).
 * Every body has a unique txId (`<runId>-<n>`): authorization is idempotent by
 * txId, and a repeated txId would be answered from the record.
 *
 * Bodies are generated once and kept, so that every server replays exactly the
 * same sequence from the start (each server reads through its own cursor).
 */
import type { SimDay } from '../src/sim/day.js';
import { Simulation } from '../src/sim/generator.js';
import { SECONDS_PER_DAY } from '../src/sim/options.js';

export interface TrafficOptions {
  readonly accounts: number;
  readonly terminals: number;
  readonly seed: number;
  /** Prefix of every txId, unique per bench run. */
  readonly runId: string;
}

export interface TrafficCursor {
  /** The next body of the sequence (generated on demand). */
  next(): string;
  /** How many bodies this cursor has handed out. */
  readonly taken: number;
}

export class TrafficPool {
  private readonly bodies: string[] = [];
  private readonly days: Generator<SimDay, void, undefined>;
  private readonly startMs: number;
  /** Bodies generated while a load phase was running (the pool was too small). */
  lateGenerated = 0;

  constructor(readonly options: TrafficOptions) {
    // Days are streamed: only what is consumed is generated.
    const sim = new Simulation({ customers: options.accounts, terminals: options.terminals, days: 365, seed: options.seed });
    this.days = sim.days();
    this.startMs = sim.options.startDate.getTime();
  }

  get size(): number {
    return this.bodies.length;
  }

  /** Generates whole simulated days until at least `n` bodies exist. */
  ensure(n: number): void {
    while (this.bodies.length < n) {
      const next = this.days.next();
      if (next.done) throw new Error(`traffic exhausted after ${this.bodies.length} bodies`);
      this.append(next.value);
    }
  }

  cursor(): TrafficCursor {
    let i = 0;
    const bodies = this.bodies;
    return {
      next: () => {
        if (i >= bodies.length) {
          const before = bodies.length;
          this.ensure(i + 1);
          this.lateGenerated += bodies.length - before;
        }
        return bodies[i++] as string;
      },
      get taken() {
        return i;
      },
    };
  }

  private append(day: SimDay): void {
    const { runId } = this.options;
    const dayMs = this.startMs + day.day * SECONDS_PER_DAY * 1000;
    for (let k = 0; k < day.count; k++) {
      const n = day.firstId + k;
      const timestamp = new Date(dayMs + day.seconds[k]! * 1000).toISOString();
      const amount = day.cents[k]! / 100;
      this.bodies.push(
        `{"txId":"${runId}-${n}","accountId":"acct-${day.customer[k]!}","terminalId":"term-${day.terminal[k]!}","amount":${amount},"currency":"EUR","timestamp":"${timestamp}"}`,
      );
    }
  }
}
