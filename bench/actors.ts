/**
 * Actor benchmarks: feature throughput through the XState actors against the
 * same pure domain functions without actors (the baseline, same run), and the
 * memory held per account and terminal actor with a realistic 30-day history.
 */
import { EMPTY_ACCOUNT_WINDOW, accountFeatures, recordAccountTx, type AccountWindow } from '../src/domain/account-window.js';
import { EMPTY_TERMINAL_WINDOW, recordTerminalTx, terminalFeatures, type TerminalWindow } from '../src/domain/terminal-window.js';
import { DAY_MS } from '../src/domain/time.js';
import { createActor } from 'xstate';
import { accountMachine, terminalMachine } from '../machines/mod.js';
import { EntityRegistry } from '../src/engine/entities.js';

const DELAY = 7 * DAY_MS;
const T0 = Date.UTC(2018, 3, 1);

export interface Tx {
  txId: string;
  accountId: string;
  terminalId: string;
  amount: number;
  timestampMs: number;
}

/** Book-like traffic: `accounts` accounts, ~2 tx per account per day, each using a few nearby terminals. */
export function traffic(accounts: number, terminals: number, days: number): Tx[] {
  const out: Tx[] = [];
  const perDay = accounts * 2;
  const step = DAY_MS / perDay;
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < perDay * days; i++) {
    const a = Math.floor(rnd() * accounts);
    out.push({
      txId: String(i),
      accountId: `acct-${a}`,
      terminalId: `term-${(a * 7 + Math.floor(rnd() * 4)) % terminals}`,
      amount: Math.round(rnd() * 10000) / 100,
      timestampMs: T0 + Math.floor(i * step),
    });
  }
  return out;
}

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

export function benchActors() {
  const txs = traffic(5000, 10000, 40);
  // Baseline: the same pure feature functions kept in plain Maps, no actors.
  let t0 = performance.now();
  const acc = new Map<string, AccountWindow>();
  const term = new Map<string, TerminalWindow>();
  for (const tx of txs) {
    const a = acc.get(tx.accountId) ?? EMPTY_ACCOUNT_WINDOW;
    accountFeatures(a, tx);
    acc.set(tx.accountId, recordAccountTx(a, tx));
    const t = term.get(tx.terminalId) ?? EMPTY_TERMINAL_WINDOW;
    terminalFeatures(t, tx.timestampMs, DELAY);
    term.set(tx.terminalId, recordTerminalTx(t, tx, DELAY));
  }
  const pureMs = performance.now() - t0;
  acc.clear();
  term.clear();

  const before = heapMb();
  const registry = new EntityRegistry({ labelDelayMs: DELAY });
  t0 = performance.now();
  for (const tx of txs) registry.applyTransaction(tx);
  const actorMs = performance.now() - t0;
  const after = heapMb();
  const perEntityKb = ((after - before) * 1024) / (registry.accountCount + registry.terminalCount);
  const account = registry.accountSnapshot('acct-1');
  const result = {
    transactions: txs.length,
    pureTxPerSec: txs.length / (pureMs / 1000),
    actorTxPerSec: txs.length / (actorMs / 1000),
    accounts: registry.accountCount,
    terminals: registry.terminalCount,
    heapPerEntityKb: perEntityKb,
    accountWindowEntries: account?.context.window.t.length ?? 0,
  };
  registry.stop();
  return result;
}

/**
 * Heap held per actor with a typical history: an account with 60 transactions
 * in its 30-day window (2 a day), a terminal with 37 in its 37-day window.
 */
export function actorMemory(count = 5000): { accountKb: number; terminalKb: number } {
  const measure = (make: (i: number) => unknown): number => {
    const keep: unknown[] = [];
    const before = heapMb();
    for (let i = 0; i < count; i++) keep.push(make(i));
    const after = heapMb();
    const kb = ((after - before) * 1024) / count;
    keep.length = 0;
    return kb;
  };
  const accountKb = measure((i) => {
    const a = createActor(accountMachine, { input: { accountId: `acct-${i}` } }).start();
    for (let k = 0; k < 60; k++) {
      a.send({ type: 'TX', txId: `${i}-${k}`, terminalId: `term-${(i + k) % 4}`, amount: 10 + k, timestampMs: T0 + k * (DAY_MS / 2) });
    }
    return a;
  });
  const terminalKb = measure((i) => {
    const t = createActor(terminalMachine, { input: { terminalId: `term-${i}`, labelDelayMs: DELAY } }).start();
    for (let k = 0; k < 37; k++) t.send({ type: 'TX', txId: `${i}-${k}`, timestampMs: T0 + k * DAY_MS });
    return t;
  });
  return { accountKb, terminalKb };
}
