/**
 * Fast streaming reader for book-schema transaction CSVs (see `book-row.ts`).
 * Columns are found by header name (any order); unknown columns and a pandas
 * index column (blank or `Unnamed: N` header) are ignored. Handles a BOM, CRLF,
 * blank lines (skipped) and RFC 4180 quoting; unquoted records are parsed in
 * place, without per-field substrings or regexes. Invalid rows are reported via
 * `onBadRow` (1-based physical line) and skipped; a bad header throws
 * {@link CsvHeaderError}. Optional columns: TX_FRAUD_SCENARIO (absent → 0),
 * TX_TIME_SECONDS / TX_TIME_DAYS (absent → derived from TX_DATETIME relative to
 * `datasetStart`, default 00:00 UTC of the first valid row's date; days =
 * floor(seconds / 86400) as in the book). Present values are kept as-is.
 */
import { createReadStream } from 'node:fs';
import type { BookRow } from './book-row.js';

/** An invalid data row: `line` is the 1-based physical line where it starts. */
export interface BadRow {
  readonly line: number;
  readonly reason: string;
  readonly raw: string; // the record's text without its line end, truncated to 1000 chars
}

export interface ReadBookCsvOptions {
  /** Called once per invalid data row (the row is skipped). */
  onBadRow?: (bad: BadRow) => void;
  /** Origin for derived TX_TIME_SECONDS/DAYS: a {@link parseBookDatetime} string or epoch ms. */
  datasetStart?: string | number;
  /** Rows per yielded batch (default 8192). */
  batchSize?: number;
  /** Read-chunk size in bytes (default 1 MiB); small values are for tests. */
  highWaterMark?: number;
}

/** The header lacks a required column, repeats a known one, or is missing entirely. */
export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
}

const DAY_MS = 86_400_000;
const MAX_QUOTED_RECORD = 1 << 16;
const MAX_FIELDS = 1024;
const REQUIRED = ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT', 'TX_FRAUD'] as const;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Parses `n` ASCII digits at `i`; -1 if any is not a digit. */
function digits(t: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = t.charCodeAt(i + k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Datetime in t[s, e) → epoch ms, or NaN. See {@link parseBookDatetime}. */
function parseDt(t: string, s: number, e: number): number {
  if (e - s < 10 || (e - s > 10 && e - s < 19)) return NaN;
  const y = digits(t, s, 4), mo = digits(t, s + 5, 2), d = digits(t, s + 8, 2);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || t.charCodeAt(s + 4) !== 45 || t.charCodeAt(s + 7) !== 45) return NaN;
  const date = Date.UTC(y, mo - 1, d);
  if (d > 28 && Date.UTC(y, mo, 1) <= date) return NaN; // day past the month's end rolled over
  if (e - s === 10) return date;
  const sep = t.charCodeAt(s + 10), h = digits(t, s + 11, 2), mi = digits(t, s + 14, 2), se = digits(t, s + 17, 2);
  if ((sep !== 32 && sep !== 84) || t.charCodeAt(s + 13) !== 58 || t.charCodeAt(s + 16) !== 58) return NaN;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return NaN;
  let ms = date + h * 3_600_000 + mi * 60_000 + se * 1000;
  let i = s + 19;
  if (i < e && t.charCodeAt(i) === 46) { // fractional seconds, truncated to ms
    const start = ++i;
    let frac = 0;
    for (let dd = t.charCodeAt(i) - 48; i < e && dd >= 0 && dd <= 9; dd = t.charCodeAt(++i) - 48) {
      if (i - start < 3) frac = frac * 10 + dd;
    }
    if (i === start) return NaN;
    ms += frac * POW10[3 - Math.min(3, i - start)]!;
  }
  if (i === e) return ms;
  const z = t.charCodeAt(i);
  if (z === 90) return i + 1 === e ? ms : NaN; // 'Z'
  if (z !== 43 && z !== 45) return NaN; // offset ±HH:MM or ±HHMM
  const colon = t.charCodeAt(i + 3) === 58 ? 1 : 0;
  if (i + 5 + colon !== e) return NaN;
  const oh = digits(t, i + 1, 2), om = digits(t, i + 3 + colon, 2);
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
  return ms - (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
}

/**
 * Parses a TX_DATETIME as UTC epoch ms: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, optional
 * fractional seconds (truncated to ms), optional `Z` or `±HH:MM` offset; bare `YYYY-MM-DD` is 00:00 UTC.
 * Returns undefined when unparseable or out of range (e.g. Feb 30, 24:00).
 */
export function parseBookDatetime(s: string): number | undefined {
  const ms = parseDt(s, 0, s.length);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Decimal number in t[s, e) → value, or NaN. Fast path for ≤ 15 digits without exponent. */
function parseNum(t: string, s: number, e: number): number {
  let i = s, neg = false, mant = 0, nd = 0, frac = -1;
  const c0 = t.charCodeAt(i);
  if (c0 === 45 || c0 === 43) { neg = c0 === 45; i++; }
  for (; i < e; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) { mant = mant * 10 + (c - 48); nd++; if (frac >= 0) frac++; }
    else if (c === 46 && frac < 0) frac = 0;
    else if (c === 101 || c === 69) { nd = 99; break; } // exponent: slow path
    else return NaN;
  }
  if (nd === 0) return NaN;
  if (nd > 15) return Number(t.slice(s, e)); // callers reject NaN / ±Infinity
  const v = frac > 0 ? mant / POW10[frac]! : mant; // exact int / exact 10^k: correctly rounded
  return neg ? -v : v;
}

/** Column index of each field (-1: optional column absent) and the header's column count. */
type Layout = Record<'nCols' | 'txId' | 'dt' | 'cust' | 'term' | 'amount' | 'fraud' | 'secs' | 'days' | 'scen', number>;

/** Incremental record parser: `feed` consumes whole records and returns how many chars it used. */
class BookCsvParser {
  rows: BookRow[] = [];
  private line = 0;
  private layout: Layout | undefined;
  private origin: number | undefined;
  // Field bounds of the current record; writes past MAX_FIELDS are dropped by the typed array.
  private readonly fs = new Int32Array(MAX_FIELDS);
  private readonly fe = new Int32Array(MAX_FIELDS);
  private readonly custIds: string[] = [];
  private readonly termIds: string[] = [];

  constructor(private readonly onBad: (b: BadRow) => void, datasetStart: string | number | undefined) {
    if (datasetStart === undefined) return;
    this.origin = typeof datasetStart === 'number' ? datasetStart : parseBookDatetime(datasetStart);
    if (!Number.isFinite(this.origin)) throw new RangeError(`bad datasetStart: ${datasetStart}`);
  }

  feed(t: string, eof: boolean): number {
    const n = t.length;
    let pos = this.line === 0 && t.charCodeAt(0) === 0xfeff ? 1 : 0;
    let quote = t.indexOf('"');
    while (pos < n) {
      let nl = t.indexOf('\n', pos);
      if (nl < 0) { if (!eof) break; nl = n; }
      if (quote >= 0 && quote < pos) quote = t.indexOf('"', pos);
      if (quote >= 0 && quote < nl) {
        const next = this.splitQuoted(t, pos, eof);
        if (next < 0) break;
        pos = next;
        continue;
      }
      const line = ++this.line, end = nl > pos && t.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end > pos) this.splitPlain(t, pos, end, line);
      pos = nl + 1;
    }
    if (eof && this.layout === undefined) throw new CsvHeaderError('empty file: no header line');
    return Math.min(pos, n);
  }

  private splitPlain(t: string, s: number, e: number, line: number): void {
    let count = 0, f = s;
    for (let c = t.indexOf(',', f); c >= 0 && c < e; c = t.indexOf(',', f)) { this.fs[count] = f; this.fe[count++] = c; f = c + 1; }
    this.fs[count] = f;
    this.fe[count++] = e;
    this.record(t, count, line, t, s, e);
  }

  /**
   * RFC 4180 record at s; returns the index after it, or -1 if more text is needed. An unterminated
   * quote (at EOF or > MAX_QUOTED_RECORD chars) makes its first line a bad row; parsing resumes after it.
   */
  private splitQuoted(t: string, s: number, eof: boolean): number {
    const n = t.length;
    let buf = '', count = 0, inQ = false, i = s, nls = 0;
    this.fs[0] = 0;
    while (i < n) {
      if (inQ) {
        const q = t.indexOf('"', i), stop = q < 0 ? n : q;
        for (let k = t.indexOf('\n', i); k >= 0 && k < stop; k = t.indexOf('\n', k + 1)) nls++;
        buf += t.slice(i, stop);
        if (q < 0) i = n;
        else if (t.charCodeAt(q + 1) === 34) { buf += '"'; i = q + 2; }
        else { inQ = false; i = q + 1; }
        continue;
      }
      const c = t.charCodeAt(i);
      if (c === 10) break;
      if (c === 34) inQ = true;
      else if (c === 44) { this.fe[count++] = buf.length; this.fs[count] = buf.length; }
      else if (c !== 13 || (i + 1 < n && t.charCodeAt(i + 1) !== 10)) buf += t[i];
      i++;
    }
    if (i >= n && !eof && !(inQ && i - s > MAX_QUOTED_RECORD)) return -1;
    if (inQ) {
      const nl = t.indexOf('\n', s), end = nl < 0 ? n : nl;
      this.bad(++this.line, 'unterminated quoted field', t.slice(s, t.charCodeAt(end - 1) === 13 ? end - 1 : end));
      return end + 1;
    }
    this.fe[count++] = buf.length;
    const line = this.line + 1;
    this.line += nls + 1;
    this.record(buf, count, line, t, s, t.charCodeAt(i - 1) === 13 ? i - 1 : i);
    return i + 1;
  }

  private bad(line: number, reason: string, raw: string): void { this.onBad({ line, reason, raw: raw.slice(0, 1000) }); }

  /** One record whose fields are src[fs[i], fe[i]); its raw text is rawT[rs, re). */
  private record(src: string, count: number, line: number, rawT: string, rs: number, re: number): void {
    if (this.layout === undefined) return this.header(src, count);
    const reason = this.row(src, count, this.layout);
    if (reason !== undefined) this.bad(line, reason, rawT.slice(rs, re));
  }

  private str(src: string, c: number): string { return src.slice(this.fs[c]!, this.fe[c]!); }
  private num(src: string, c: number): number { return parseNum(src, this.fs[c]!, this.fe[c]!); }

  /** Id field; small canonical integers ("0", "4217") are interned to save memory. */
  private id(src: string, c: number, cache: string[]): string {
    const s = this.fs[c]!, e = this.fe[c]!;
    const v = e - s <= 6 && (e - s === 1 || src.charCodeAt(s) !== 48) ? digits(src, s, e - s) : -1;
    return v < 0 ? src.slice(s, e) : (cache[v] ??= src.slice(s, e));
  }

  /** Validates a data record and pushes its BookRow; returns the reason if invalid. */
  private row(src: string, count: number, L: Layout): string | undefined {
    const fs = this.fs, fe = this.fe;
    if (count !== L.nCols) return `expected ${L.nCols} fields, found ${count}`;
    if (fs[L.txId] === fe[L.txId]) return 'empty TRANSACTION_ID';
    if (fs[L.cust] === fe[L.cust]) return 'empty CUSTOMER_ID';
    if (fs[L.term] === fe[L.term]) return 'empty TERMINAL_ID';
    const ts = parseDt(src, fs[L.dt]!, fe[L.dt]!);
    if (Number.isNaN(ts)) return `unparseable TX_DATETIME '${this.str(src, L.dt)}'`;
    const amount = this.num(src, L.amount);
    if (!(amount >= 0 && amount < Infinity)) return `TX_AMOUNT '${this.str(src, L.amount)}' is not a finite number >= 0`;
    const fraud = this.num(src, L.fraud);
    if (fraud !== 0 && fraud !== 1) return `TX_FRAUD '${this.str(src, L.fraud)}' is not 0 or 1`;
    const scenario = L.scen < 0 ? 0 : this.num(src, L.scen);
    if (!Number.isFinite(scenario)) return `TX_FRAUD_SCENARIO '${this.str(src, L.scen)}' is not a finite number`;
    let secs = L.secs < 0 ? 0 : this.num(src, L.secs);
    if (!Number.isFinite(secs)) return `TX_TIME_SECONDS '${this.str(src, L.secs)}' is not a finite number`;
    let days = L.days < 0 ? 0 : this.num(src, L.days);
    if (!Number.isFinite(days)) return `TX_TIME_DAYS '${this.str(src, L.days)}' is not a finite number`;
    if (L.secs < 0) secs = Math.floor((ts - (this.origin ??= Math.floor(ts / DAY_MS) * DAY_MS)) / 1000);
    if (L.days < 0) days = Math.floor(secs / 86_400);
    const accountId = this.id(src, L.cust, this.custIds), terminalId = this.id(src, L.term, this.termIds);
    this.rows.push({
      txId: this.str(src, L.txId), timestampMs: ts, accountId, terminalId,
      amount, timeSeconds: secs, timeDays: days, fraud: fraud === 1 ? 1 : 0, scenario,
    });
    return undefined;
  }

  private header(src: string, count: number): void {
    if (count > MAX_FIELDS) throw new CsvHeaderError(`header has ${count} columns (max ${MAX_FIELDS})`);
    const names = Array.from({ length: count }, (_, i) => src.slice(this.fs[i]!, this.fe[i]!).trim());
    const col = (name: string): number => {
      const at = names.indexOf(name);
      if (at >= 0 && names.indexOf(name, at + 1) >= 0) throw new CsvHeaderError(`duplicate column ${name} in header`);
      return at;
    };
    const missing = REQUIRED.filter((name) => col(name) < 0);
    if (missing.length > 0) throw new CsvHeaderError(`missing required column(s) ${missing.join(', ')}; header has: ${names.join(', ')}`);
    this.layout = {
      nCols: count, txId: col('TRANSACTION_ID'), dt: col('TX_DATETIME'), cust: col('CUSTOMER_ID'), term: col('TERMINAL_ID'),
      amount: col('TX_AMOUNT'), fraud: col('TX_FRAUD'), secs: col('TX_TIME_SECONDS'), days: col('TX_TIME_DAYS'), scen: col('TX_FRAUD_SCENARIO'),
    };
  }
}

/** Streams a book-schema CSV as batches of up to `batchSize` rows, in file order. */
export async function* readBookCsv(path: string, opts: ReadBookCsvOptions = {}): AsyncGenerator<BookRow[]> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 8192) || 1);
  const parser = new BookCsvParser(opts.onBadRow ?? (() => {}), opts.datasetStart);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: opts.highWaterMark ?? 1 << 20 });
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest.length > 0 ? rest + chunk : chunk;
      rest = text.slice(parser.feed(text, false));
      while (parser.rows.length >= batchSize) yield parser.rows.splice(0, batchSize);
    }
    parser.feed(rest, true);
    while (parser.rows.length > 0) yield parser.rows.splice(0, batchSize);
  } finally {
    stream.destroy();
  }
}

/** Reads a whole file into memory; bad rows are collected (and also passed to `onBadRow`). */
export async function readBookCsvAll(path: string, opts: ReadBookCsvOptions = {}): Promise<{ rows: BookRow[]; badRows: BadRow[] }> {
  const rows: BookRow[] = [];
  const badRows: BadRow[] = [];
  const onBadRow = (b: BadRow): void => { badRows.push(b); opts.onBadRow?.(b); };
  for await (const batch of readBookCsv(path, { batchSize: 65_536, ...opts, onBadRow })) {
    for (const r of batch) rows.push(r);
  }
  return { rows, badRows };
}
