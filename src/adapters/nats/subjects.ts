/**
 * The NATS subjects of veto. Every subject starts with a configurable prefix
 * (default `veto`; it may have several tokens, e.g. `acme.veto`):
 *
 * | subject                         | what                                                   |
 * |---------------------------------|--------------------------------------------------------|
 * | `veto.tx.<accountId>`           | transactions (JetStream, EVENTS stream)                |
 * | `veto.account.<accountId>`      | account events (JetStream, EVENTS stream)              |
 * | `veto.label.<accountId>`        | fraud labels (JetStream, EVENTS stream)                |
 * | `veto.authorize`                | request/reply: a transaction in, its decision out      |
 * | `veto.decision.<accountId>`     | decisions (JetStream, DECISIONS stream)                |
 * | `veto.dlq.<reason>`             | malformed messages with the original payload and error |
 *
 * Payloads are plain UTF-8 JSON with no client-specific framing, so any NATS
 * client in any language can publish and consume them. Publishers set the
 * `Nats-Msg-Id` header to the txId (transactions) or event id (other events)
 * so JetStream drops duplicates within the stream's duplicate window.
 */
import { InvalidSubjectTokenError } from './errors.js';

export const DEFAULT_PREFIX = 'veto';

/** The kinds of per-account subjects. */
export type AccountSubjectKind = 'tx' | 'account' | 'label' | 'decision';

export interface Subjects {
  readonly prefix: string;
  /** `<p>.tx.<accountId>` */
  tx(accountId: string): string;
  /** `<p>.account.<accountId>` */
  account(accountId: string): string;
  /** `<p>.label.<accountId>` */
  label(accountId: string): string;
  /** `<p>.authorize` (request/reply) */
  readonly authorize: string;
  /** `<p>.decision.<accountId>` */
  decision(accountId: string): string;
  /** `<p>.dlq.<reason>` */
  dlq(reason: string): string;
  /** Single-token wildcards for subscriptions, e.g. `veto.tx.*`. */
  readonly wildcards: {
    readonly tx: string;
    readonly account: string;
    readonly label: string;
    readonly decision: string;
    readonly dlq: string;
  };
  /** Parses a per-account subject of this prefix; undefined for anything else. */
  parse(subject: string): { kind: AccountSubjectKind; accountId: string } | undefined;
}

const BAD_TOKEN = /[.*>\s]/u;

/** True when `token` can be one subject token: non-empty, no '.', '*', '>', whitespace or NUL. */
export function isValidToken(token: string): boolean {
  return typeof token === 'string' && token.length > 0 && !BAD_TOKEN.test(token) && !token.includes('\0');
}

/** Returns `token`, or throws InvalidSubjectTokenError naming `what`. */
export function assertToken(token: string, what: string): string {
  if (!isValidToken(token)) throw new InvalidSubjectTokenError(what, token);
  return token;
}

/** Validates a prefix: one or more valid tokens joined by '.'. */
export function assertPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new InvalidSubjectTokenError('prefix', prefix);
  for (const token of prefix.split('.')) {
    if (!isValidToken(token)) throw new InvalidSubjectTokenError('prefix', prefix);
  }
  return prefix;
}

const KINDS: readonly AccountSubjectKind[] = ['tx', 'account', 'label', 'decision'];

/** The subjects under `prefix` (validated; throws InvalidSubjectTokenError). */
export function subjectsFor(prefix: string = DEFAULT_PREFIX): Subjects {
  const p = assertPrefix(prefix);
  const perAccount = (kind: string) => (accountId: string) => `${p}.${kind}.${assertToken(accountId, 'accountId')}`;
  return {
    prefix: p,
    tx: perAccount('tx'),
    account: perAccount('account'),
    label: perAccount('label'),
    authorize: `${p}.authorize`,
    decision: perAccount('decision'),
    dlq: (reason) => `${p}.dlq.${assertToken(reason, 'DLQ reason')}`,
    wildcards: {
      tx: `${p}.tx.*`,
      account: `${p}.account.*`,
      label: `${p}.label.*`,
      decision: `${p}.decision.*`,
      dlq: `${p}.dlq.*`,
    },
    parse: (subject) => parseAccountSubject(subject, p),
  };
}

function parseAccountSubject(subject: string, prefix: string): { kind: AccountSubjectKind; accountId: string } | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const rest = subject.slice(prefix.length + 1).split('.');
  if (rest.length !== 2) return undefined;
  const [kind, accountId] = rest as [string, string];
  if (!(KINDS as readonly string[]).includes(kind) || !isValidToken(accountId)) return undefined;
  return { kind: kind as AccountSubjectKind, accountId };
}

/**
 * The account id of a per-account subject (`<p>.tx|account|label|decision.<accountId>`),
 * or undefined when the subject is not one of them under `prefix`.
 */
export function accountIdFromSubject(subject: string, prefix: string = DEFAULT_PREFIX): string | undefined {
  return parseAccountSubject(subject, prefix)?.accountId;
}

/** Default stream names derived from the prefix: `veto` → `VETO_EVENTS`, `acme.veto` → `ACME_VETO_EVENTS`. */
export function defaultStreamNames(prefix: string = DEFAULT_PREFIX): { events: string; decisions: string; dlq: string } {
  const base = assertPrefix(prefix).toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
  return { events: `${base}_EVENTS`, decisions: `${base}_DECISIONS`, dlq: `${base}_DLQ` };
}
