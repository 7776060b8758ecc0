import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CsvHeaderError, parseBookDatetime, readBookCsv, readBookCsvAll, type BadRow, type ReadBookCsvOptions,
} from '../../../src/data/csv-reader.js';
import type { BookRow } from '../../../src/data/book-row.js';

const dir = mkdtempSync(join(tmpdir(), 'veto-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function file(text: string): string {
  const path = join(dir, `f${fileNo++}.csv`);
  writeFileSync(path, text);
  return path;
}
const read = (text: string, opts?: ReadBookCsvOptions) => readBookCsvAll(file(text), opts);
const T0 = Date.UTC(2018, 3, 1);

const BOOK = [
  ',TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO',
  '0,0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0',
  '1,1,2018-04-01 00:02:10,4961,3412,81.51,130,0,0,0',
  '2,2,2018-04-02 07:56:40,2,1365,146.00,114_2,1,1,3',
  '3,3,2018-04-02 07:56:40,2,1365,146.00,114_2,1,1,3',
].join('\n');

describe('readBookCsv', () => {
  it('reads the book format with its pandas index column', async () => {
    const text = BOOK.replace(/114_2/g, '114400') + '\n';
    const { rows, badRows } = await read(text);
    expect(badRows).toEqual([]);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      txId: '0', timestampMs: T0 + 31_000, accountId: '596', terminalId: '3156', amount: 57.16,
      timeSeconds: 31, timeDays: 0, fraud: 0, scenario: 0,
    } satisfies BookRow);
    expect(rows[2]).toMatchObject({ txId: '2', accountId: '2', amount: 146, timeSeconds: 114_400, timeDays: 1, fraud: 1, scenario: 3 });
  });

  it('finds columns by name, accepts `Unnamed: 0`, CRLF, a BOM and no trailing newline', async () => {
    const text = '\ufeffUnnamed: 0,TX_FRAUD,TX_AMOUNT,TERMINAL_ID,CUSTOMER_ID,TX_DATETIME,TRANSACTION_ID,TX_TIME_DAYS,TX_TIME_SECONDS\r\n'
      + '7,1,0.5,T9,C1,2018-04-03T01:00:00Z,tx-7,2,176400';
    const { rows, badRows } = await read(text);
    expect(badRows).toEqual([]);
    expect(rows).toEqual([{
      txId: 'tx-7', timestampMs: T0 + 2 * 86_400_000 + 3_600_000, accountId: 'C1', terminalId: 'T9', amount: 0.5,
      timeSeconds: 176_400, timeDays: 2, fraud: 1, scenario: 0,
    }]);
  });

  it('derives TX_TIME_SECONDS/DAYS from the first row midnight, or from datasetStart', async () => {
    const text = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n'
      + 'a,2018-04-02 10:00:00,1,1,1,0\nb,2018-04-01 23:00:00,1,1,1,0\nc,2018-04-04 00:00:01.5,1,1,1,0\n';
    const first = (await read(text)).rows; // origin 2018-04-02 00:00 (first row), even though row b is earlier
    expect(first.map((r) => [r.timeSeconds, r.timeDays])).toEqual([[36_000, 0], [-3600, -1], [172_801, 2]]);
    const fixed = (await read(text, { datasetStart: '2018-04-01' })).rows;
    expect(fixed.map((r) => [r.timeSeconds, r.timeDays])).toEqual([[122_400, 1], [82_800, 0], [259_201, 3]]);
    expect((await read(text, { datasetStart: T0 })).rows[0]!.timeDays).toBe(1);
    // TX_TIME_DAYS alone is derived from the TX_TIME_SECONDS column
    const secsOnly = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_TIME_SECONDS\na,2018-04-02 10:00:00,1,1,1,0,999999\n';
    expect((await read(secsOnly)).rows[0]).toMatchObject({ timeSeconds: 999_999, timeDays: 11 });
  });

  it('reports each bad row with its physical line number and skips it', async () => {
    const header = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO';
    const lines = [
      header,
      'ok1,2018-04-01 00:00:00,1,1,1.5,0,0', // 2
      '', // 3: blank, skipped silently
      'x,2018-04-01 00:00:00,1,1,-1,0,0', // 4
      'x,2018-04-01 00:00:00,1,1,abc,0,0', // 5
      'x,2018-04-01 00:00:00,1,1,1,2,0', // 6
      'x,2018-02-30 00:00:00,1,1,1,0,0', // 7
      'x,2018-04-01 24:00:00,1,1,1,0,0', // 8
      ',2018-04-01 00:00:00,1,1,1,0,0', // 9
      'x,2018-04-01 00:00:00,,1,1,0,0', // 10
      'x,2018-04-01 00:00:00,1,,1,0,0', // 11
      'x,2018-04-01 00:00:00,1,1,1,0', // 12
      'x,2018-04-01 00:00:00,1,1,1e999,0,0', // 13
      'x,2018-04-01 00:00:00,1,1,,0,0', // 14
      'x,2018-04-01 00:00:00,1,1,1,0,zz', // 15
      'ok2,2018-04-01 00:00:00,1,1,2.5e1,1.0,2', // 16
    ];
    const seen: BadRow[] = [];
    const { rows, badRows } = await read(lines.join('\r\n'), { onBadRow: (b) => seen.push(b) });
    expect(rows.map((r) => [r.txId, r.amount, r.fraud, r.scenario])).toEqual([['ok1', 1.5, 0, 0], ['ok2', 25, 1, 2]]);
    expect(badRows).toEqual(seen);
    expect(badRows.map((b) => b.line)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(badRows.map((b) => b.raw)).toEqual(lines.slice(3, 15));
    expect(badRows[0]!.reason).toMatch(/TX_AMOUNT/);
    expect(badRows[2]!.reason).toMatch(/TX_FRAUD '2'/);
    expect(badRows[3]!.reason).toMatch(/TX_DATETIME/);
    expect(badRows[5]!.reason).toMatch(/empty TRANSACTION_ID/);
    expect(badRows[8]!.reason).toMatch(/expected 7 fields, found 6/);
    expect(badRows[11]!.reason).toMatch(/TX_FRAUD_SCENARIO/);
  });

  it('handles RFC 4180 quoting, including quoted newlines, and keeps line numbers right', async () => {
    const text = [
      '"TRANSACTION_ID","TX_DATETIME",CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD', // 1
      '"a,1","2018-04-01 00:00:00","c ""q""",t,"1.25",0', // 2
      '"b\nline","2018-04-01 00:00:00",c,t,1,0', // 3-4
      'bad,2018-04-01 00:00:00,c,t,1,"9"', // 5
      '"un""terminated,2018-04-01 00:00:00,c,t,1,0', // 6: quote never closed
      'after,2018-04-01 00:00:00,c,t,1,0', // 7
    ].join('\r\n') + '\r\n';
    const { rows, badRows } = await read(text);
    expect(rows.map((r) => [r.txId, r.accountId, r.amount])).toEqual([['a,1', 'c "q"', 1.25], ['b\nline', 'c', 1], ['after', 'c', 1]]);
    expect(badRows.map((b) => [b.line, b.reason])).toEqual([[5, "TX_FRAUD '9' is not 0 or 1"], [6, 'unterminated quoted field']]);
    expect(badRows[1]!.raw).toBe('"un""terminated,2018-04-01 00:00:00,c,t,1,0');
  });

  it('recovers from a stray quote in a large file: one bad line, later rows kept', async () => {
    const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD', 'x,2018-04-01 00:00:00,c"1,t,1,0'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},2018-04-01 00:00:00,c${i},t,1.${i % 100},0`); // ~130 KB
    const path = file(lines.join('\n'));
    for (const highWaterMark of [4096, 1 << 20]) {
      const { rows, badRows } = await readBookCsvAll(path, { highWaterMark });
      expect(badRows.map((b) => [b.line, b.reason])).toEqual([[2, 'unterminated quoted field']]);
      expect(rows).toHaveLength(3000);
      expect(rows[2999]).toMatchObject({ txId: '2999', accountId: 'c2999', amount: 1.99 });
    }
  });

  it('gives identical results for every chunk size (records split across chunks)', async () => {
    const text = '\ufeff' + BOOK.replace(/114_2/g, '114400') + '\r\n'
      + '4,"q\r\n""2""",2018-04-02 08:00:00.250,"é",9,3,115200,1,0,0\r\n' // quoted CRLF inside a field
      + '5,zz,2018-04-02,é€,9,3,86400,1,0,0\r\n'
      + '6,bad,2018-04-02,c,9,-3,86400,1,0,0\r\n'; // line 9
    const path = file(text);
    const ref = await readBookCsvAll(path);
    expect(ref.rows).toHaveLength(6);
    expect(ref.rows[4]).toMatchObject({ txId: 'q\r\n"2"', accountId: 'é', timestampMs: T0 + 86_400_000 + 28_800_250 });
    expect(ref.rows[5]).toMatchObject({ txId: 'zz', accountId: 'é€', timestampMs: T0 + 86_400_000 });
    expect(ref.badRows.map((b) => b.line)).toEqual([9]);
    for (const hwm of [1, 2, 3, 5, 8, 13, 64]) {
      expect(await readBookCsvAll(path, { highWaterMark: hwm })).toEqual(ref);
    }
  });

  it('yields batches of at most batchSize rows', async () => {
    const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD'];
    for (let i = 0; i < 25; i++) lines.push(`${i},2018-04-01 00:00:${String(i).padStart(2, '0')},${i % 3},7,${i}.5,0`);
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const batch of readBookCsv(file(lines.join('\n')), { batchSize: 10, highWaterMark: 50 })) {
      sizes.push(batch.length);
      ids.push(...batch.map((r) => r.txId));
    }
    expect(sizes.every((s) => s <= 10)).toBe(true);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('throws CsvHeaderError for a missing or duplicated column or an empty file', async () => {
    await expect(read('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT\n1,2018-04-01,1,1\n')).rejects.toThrow(
      /missing required column\(s\) TERMINAL_ID, TX_FRAUD/,
    );
    await expect(read('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD\n')).rejects.toBeInstanceOf(CsvHeaderError);
    await expect(read('')).rejects.toThrow(/empty file/);
    await expect(read('\n\n')).rejects.toBeInstanceOf(CsvHeaderError);
    expect((await read('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD')).rows).toEqual([]);
  });
});

describe('parseBookDatetime', () => {
  it('accepts the book format, ISO 8601 with T/Z/offset, fractions and bare dates (as UTC)', () => {
    const ms = Date.UTC(2018, 6, 25, 13, 5, 9);
    expect(parseBookDatetime('2018-07-25 13:05:09')).toBe(ms);
    expect(parseBookDatetime('2018-07-25T13:05:09')).toBe(ms);
    expect(parseBookDatetime('2018-07-25T13:05:09Z')).toBe(ms);
    expect(parseBookDatetime('2018-07-25 13:05:09.5')).toBe(ms + 500);
    expect(parseBookDatetime('2018-07-25T13:05:09.123456Z')).toBe(ms + 123);
    expect(parseBookDatetime('2018-07-25T15:05:09+02:00')).toBe(ms);
    expect(parseBookDatetime('2018-07-25T12:35:09-0030')).toBe(ms);
    expect(parseBookDatetime('2018-07-25')).toBe(Date.UTC(2018, 6, 25));
    expect(parseBookDatetime('2020-02-29 00:00:00')).toBe(Date.UTC(2020, 1, 29));
    expect(parseBookDatetime('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
  });

  it('rejects malformed or out-of-range values', () => {
    for (const s of [
      '', '2018-07-25 13:05', '2018-7-25', '2018-07-25 13:05:09.', '2018-07-25 13:05:60', '2018-07-25 24:00:00',
      '2018-13-01', '2018-02-29', '1900-02-29', '2018-04-31', '2018-07-25X13:05:09', '2018-07-25 13:05:09Z ',
      '2018-07-25 13:05:09+2', ' 2018-07-25', 'abcd-ef-gh', '2018-07-25 13:05:09ZZ',
    ]) {
      expect(parseBookDatetime(s), s).toBeUndefined();
    }
  });
});
