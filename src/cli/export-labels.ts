/** `veto export-labels`: analysts' verdicts as a book-schema CSV for the next `veto train`. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../app/config.js';
import { RedisCaseStore } from '../adapters/redis/redis-case-store.js';
import { casesCsv } from '../http/routes/labels-export.js';
import { packageRoot } from '../model/location.js';
import { log, parseCommand, requireString, runCommand, UsageError } from './args.js';

export const EXPORT_LABELS_USAGE = `Usage: veto export-labels --out labels.csv

Writes every resolved review case (verdict fraud → TX_FRAUD 1, legit → 0) in
the book's CSV schema, plus DECISION, SCORE, VERDICT, RESOLVED_BY,
RESOLVED_AT and MODEL_VERSION columns, from the Redis the engine uses
(VETO_REDIS_URL, VETO_REDIS_PREFIX). For the embedded engine, use
GET /v1/labels/export instead.
`;

export function runExportLabels(argv: string[]): Promise<number> {
  return runCommand(argv, EXPORT_LABELS_USAGE, async () => {
    const v = parseCommand(argv, { out: { type: 'string' } });
    const out = requireString(v.out, '--out');
    const config = loadConfig(process.env, join(packageRoot(), 'config'));
    if (config.services.redisUrl === null) throw new UsageError('VETO_REDIS_URL is not set: the cases live in the engine’s Redis (embedded engine: GET /v1/labels/export)');
    const cases = new RedisCaseStore({ url: config.services.redisUrl, prefix: config.state.keyPrefix });
    try {
      const csv = await casesCsv(cases);
      await writeFile(out, csv);
      log(`wrote ${csv.split('\n').length - 2} labelled decisions to ${out}`);
    } finally {
      await cases.close();
    }
    return 0;
  });
}
