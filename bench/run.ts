/**
 * `npm run bench`: prints every figure with the baseline measured in the same
 * run. Figures only — no assertions; compare runs on the same machine.
 */
import { cpus } from 'node:os';
import { benchActors } from './actors.js';
import { benchEvents } from './events.js';
import { benchHttp, printHttp, targetChecks } from './http.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function header(): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`veto bench — ${new Date().toISOString()} — node ${process.version} — ${cpus().length} × ${cpu}`);
}

async function main(): Promise<void> {
  header();
  const a = benchActors();
  console.log('\n## Entity actors (book-like traffic: 5,000 accounts, 10,000 terminals, 40 days)');
  console.log(`transactions                      ${fmt(a.transactions)}`);
  console.log(`baseline: pure feature functions  ${fmt(a.pureTxPerSec)} tx/s`);
  console.log(`through XState actors             ${fmt(a.actorTxPerSec)} tx/s  (${(a.actorTxPerSec / a.pureTxPerSec).toFixed(2)}× baseline)`);
  console.log(`heap per entity actor             ${a.heapPerEntityKb.toFixed(1)} KiB  (${fmt(a.accounts)} accounts + ${fmt(a.terminals)} terminals; ~${a.accountWindowEntries} tx in an account's 30-day window)`);

  globalThis.gc?.();
  const h = await benchHttp();
  printHttp(h);
  globalThis.gc?.();
  const events = await runEventBench();
  const summary = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    actors: a,
    http: h,
    events,
    targets: targetChecks(h),
    valid: h.failures.length === 0,
  };
  console.log(`\nBENCH_JSON ${JSON.stringify(summary)}`);
}

await main();

async function runEventBench() {
  const accounts = Number(process.env.VETO_BENCH_ACCOUNTS ?? 1_000_000);
  const messages = Number(process.env.VETO_BENCH_MESSAGES ?? 20_000);
  const maxResident = Number(process.env.VETO_BENCH_MAX_RESIDENT ?? 100_000);
  console.log('\n## Event path: JetStream → actors → model → Redis commit → decision published → ack');
  try {
    const e = await benchEvents({ messages, accounts, maxResident });
    console.log(`NATS server                             ${e.natsVersion}; ${fmt(e.messages)} transactions pre-published`);
    console.log(`baseline: bare JetStream consume + ack  ${fmt(e.bareMsgPerSec)} msg/s  (pull batches of 256, JSON parse, ack, double-ack per batch)`);
    console.log(`veto event path                         ${fmt(e.vetoTxPerSec)} tx/s  (${e.ratio.toFixed(2)}× baseline; target ≥ 0.5× ${e.ratio >= 0.5 ? 'met' : 'NOT MET'})`);
    const m = e.memory;
    console.log(`${fmt(m.accounts)} distinct accounts             RSS ${fmt(m.rssMb)} MiB after (peak ${fmt(m.peakRssMb)} MiB), ${fmt(m.resident)} actors resident (max ${fmt(m.maxResident)}), ${fmt(m.txPerSec)} tx/s, ${m.seconds.toFixed(0)} s`);
    return e;
  } catch (error) {
    console.log(`skipped: ${(error as Error).message} (needs NATS at VETO_NATS_URL and Redis at VETO_REDIS_URL, default 127.0.0.1)`);
    return undefined;
  }
}
