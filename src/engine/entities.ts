/**
 * The live entity actors: one XState actor per account and per terminal,
 * created on first use or restored from the feature store. This is the single
 * path by which transactions and labels change features — serving, replay,
 * training and backtests all go through it, so there is no training/serving
 * skew.
 *
 * Every actor has an error observer (see ActorTable): a failing event never
 * escapes as an unhandled error; the actor is restored to its state before
 * that event and other actors are untouched.
 */
import type { SnapshotFrom } from 'xstate';
import { accountMachine, terminalMachine, type AccountSignal } from '../../machines/mod.js';
import type { AccountFeatures } from '../domain/account-window.js';
import { invalidTransactionReason, type LabelEvent, type TransactionEvent } from '../domain/events.js';
import type { TerminalFeatures } from '../domain/terminal-window.js';
import { DEFAULT_LABEL_DELAY_MS } from '../domain/terminal-window.js';
import { ActorTable } from './actor-table.js';
import { InvalidEventError, type ActorFailedError } from './errors.js';

export type AccountSnapshot = SnapshotFrom<typeof accountMachine>;
export type TerminalSnapshot = SnapshotFrom<typeof terminalMachine>;

export interface EntityRegistryOptions {
  /** How long after a transaction its fraud label is expected (terminal risk windows end this far back). */
  readonly labelDelayMs?: number;
  /** Called when an actor fails on an event (after it has been restored). */
  readonly onActorError?: (error: ActorFailedError) => void;
  /** Machine implementations, e.g. `accountMachine.provide({...})` with other effects. */
  readonly machines?: { readonly account?: typeof accountMachine; readonly terminal?: typeof terminalMachine };
  /** Wall clock for passivation (default Date.now). */
  readonly now?: () => number;
}

export interface TxFeatures {
  readonly account: AccountFeatures;
  readonly terminal: TerminalFeatures;
  readonly accountBlocked: boolean;
}

export class EntityRegistry {
  readonly labelDelayMs: number;
  readonly accounts: ActorTable<typeof accountMachine>;
  readonly terminals: ActorTable<typeof terminalMachine>;

  constructor(options: EntityRegistryOptions = {}) {
    const labelDelayMs = options.labelDelayMs ?? DEFAULT_LABEL_DELAY_MS;
    const onError = options.onActorError ?? (() => {});
    const now = options.now ?? Date.now;
    this.labelDelayMs = labelDelayMs;
    this.accounts = new ActorTable('account', options.machines?.account ?? accountMachine, (accountId) => ({ accountId }), onError, now);
    this.terminals = new ActorTable('terminal', options.machines?.terminal ?? terminalMachine, (terminalId) => ({ terminalId, labelDelayMs }), onError, now);
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  get terminalCount(): number {
    return this.terminals.size;
  }

  /**
   * Applies a transaction to its account and terminal actors and returns their
   * features. `seq` is the stream sequence of the event, when it came from one.
   */
  applyTransaction(tx: TransactionEvent, seq?: number): TxFeatures {
    const reason = invalidTransactionReason(tx);
    if (reason !== undefined) throw new InvalidEventError(reason);
    const account = this.accounts.send(tx.accountId, { type: 'TX', txId: tx.txId, terminalId: tx.terminalId, amount: tx.amount, timestampMs: tx.timestampMs }, seq);
    const terminal = this.terminals.send(tx.terminalId, { type: 'TX', txId: tx.txId, timestampMs: tx.timestampMs }, seq);
    const a = account.context.lastTx;
    const t = terminal.context.lastTx;
    if (a?.txId !== tx.txId || t?.txId !== tx.txId) {
      throw new InvalidEventError(`transaction ${tx.txId} was refused by its actors`);
    }
    return { account: a.features, terminal: t.features, accountBlocked: account.value === 'blocked' };
  }

  /** Applies a fraud/legit label to the account and, when known, the terminal of the transaction. */
  applyLabel(label: LabelEvent, seq?: number): void {
    const fraud = label.label === 'fraud';
    this.accounts.send(label.accountId, { type: 'LABEL', txId: label.txId, fraud, timestampMs: label.timestampMs }, seq);
    if (label.terminalId !== undefined) {
      this.terminals.send(
        label.terminalId,
        { type: 'LABEL', txId: label.txId, fraud, ...(label.txTimestampMs !== undefined ? { txTimestampMs: label.txTimestampMs } : {}) },
        seq,
      );
    }
  }

  block(accountId: string, reason: string, by: string, timestampMs: number, seq?: number): AccountSnapshot {
    return this.accounts.send(accountId, { type: 'BLOCK', reason, by, timestampMs }, seq);
  }

  unblock(accountId: string, reason: string, by: string, timestampMs: number, seq?: number): AccountSnapshot {
    return this.accounts.send(accountId, { type: 'UNBLOCK', reason, by, timestampMs }, seq);
  }

  /** Records an account event (login, device change, password reset, contact change). */
  accountEvent(accountId: string, kind: AccountSignal, timestampMs: number, seq?: number): AccountSnapshot {
    return this.accounts.send(accountId, { type: 'ACCOUNT_EVENT', kind, timestampMs }, seq);
  }

  accountSnapshot(accountId: string): AccountSnapshot | undefined {
    return this.accounts.snapshot(accountId);
  }

  terminalSnapshot(terminalId: string): TerminalSnapshot | undefined {
    return this.terminals.snapshot(terminalId);
  }

  /** Stops every actor. */
  stop(): void {
    this.accounts.stop();
    this.terminals.stop();
  }
}
