/**
 * `npm run bench`: prints every figure with the baseline measured in the same
 * run. Figures only — no assertions; compare runs on the same machine.
 */
import { cpus } from 'node:os';
import { benchActors } from './actors.js';
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
  const summary = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    actors: a,
    http: h,
    targets: targetChecks(h),
    valid: h.failures.length === 0,
  };
  console.log(`\nBENCH_JSON ${JSON.stringify(summary)}`);
}

await main();
