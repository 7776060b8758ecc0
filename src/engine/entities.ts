/**
 * The live entity actors: one XState actor per account and per terminal,
 * created on first use. This is the single path by which transactions and
 * labels change features — serving, replay, training and backtests all go
 * through it, so there is no training/serving skew.
 *
 * Every actor has an error observer. A failing event never escapes: the actor
 * is recreated from its snapshot before that event, the failure is reported,
 * and other actors are untouched.
 */
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import { accountMachine, terminalMachine } from '../../machines/mod.js';
import type { AccountFeatures } from '../domain/account-window.js';
import { invalidTransactionReason, type LabelEvent, type TransactionEvent } from '../domain/events.js';
import type { TerminalFeatures } from '../domain/terminal-window.js';
import { DEFAULT_LABEL_DELAY_MS } from '../domain/terminal-window.js';
import { ActorFailedError, InvalidEventError } from './errors.js';

type AccountActor = Actor<typeof accountMachine>;
type TerminalActor = Actor<typeof terminalMachine>;
export type AccountSnapshot = SnapshotFrom<typeof accountMachine>;
export type TerminalSnapshot = SnapshotFrom<typeof terminalMachine>;

export interface EntityRegistryOptions {
  /** How long after a transaction its fraud label is expected (terminal risk windows end this far back). */
  readonly labelDelayMs?: number;
  /** Called when an actor fails on an event (after it has been restored). */
  readonly onActorError?: (error: ActorFailedError) => void;
  /** Machine implementations, e.g. `accountMachine.provide({...})` with other effects. */
  readonly machines?: { readonly account?: typeof accountMachine; readonly terminal?: typeof terminalMachine };
}

export interface TxFeatures {
  readonly account: AccountFeatures;
  readonly terminal: TerminalFeatures;
  readonly accountBlocked: boolean;
}

export class EntityRegistry {
  readonly labelDelayMs: number;
  private readonly accounts = new Map<string, AccountActor>();
  private readonly terminals = new Map<string, TerminalActor>();
  private readonly onActorError: (error: ActorFailedError) => void;
  private readonly accountLogic: typeof accountMachine;
  private readonly terminalLogic: typeof terminalMachine;

  constructor(options: EntityRegistryOptions = {}) {
    this.labelDelayMs = options.labelDelayMs ?? DEFAULT_LABEL_DELAY_MS;
    this.onActorError = options.onActorError ?? (() => {});
    this.accountLogic = options.machines?.account ?? accountMachine;
    this.terminalLogic = options.machines?.terminal ?? terminalMachine;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  get terminalCount(): number {
    return this.terminals.size;
  }

  /** Applies a transaction to its account and terminal actors and returns their features. */
  applyTransaction(tx: TransactionEvent): TxFeatures {
    const reason = invalidTransactionReason(tx);
    if (reason !== undefined) throw new InvalidEventError(reason);
    const account = this.sendAccount(tx.accountId, {
      type: 'TX',
      txId: tx.txId,
      terminalId: tx.terminalId,
      amount: tx.amount,
      timestampMs: tx.timestampMs,
    });
    const terminal = this.sendTerminal(tx.terminalId, { type: 'TX', txId: tx.txId, timestampMs: tx.timestampMs });
    const a = account.context.lastTx;
    const t = terminal.context.lastTx;
    if (a?.txId !== tx.txId || t?.txId !== tx.txId) {
      throw new InvalidEventError(`transaction ${tx.txId} was refused by its actors`);
    }
    return { account: a.features, terminal: t.features, accountBlocked: account.value === 'blocked' };
  }

  /** Applies a fraud/legit label to the account and, when known, the terminal of the transaction. */
  applyLabel(label: LabelEvent): void {
    const fraud = label.label === 'fraud';
    this.sendAccount(label.accountId, { type: 'LABEL', txId: label.txId, fraud, timestampMs: label.timestampMs });
    if (label.terminalId !== undefined) {
      this.sendTerminal(label.terminalId, {
        type: 'LABEL',
        txId: label.txId,
        fraud,
        ...(label.txTimestampMs !== undefined ? { txTimestampMs: label.txTimestampMs } : {}),
      });
    }
  }

  block(accountId: string, reason: string, by: string, timestampMs: number): AccountSnapshot {
    return this.sendAccount(accountId, { type: 'BLOCK', reason, by, timestampMs });
  }

  unblock(accountId: string, reason: string, by: string, timestampMs: number): AccountSnapshot {
    return this.sendAccount(accountId, { type: 'UNBLOCK', reason, by, timestampMs });
  }

  accountSnapshot(accountId: string): AccountSnapshot | undefined {
    return this.accounts.get(accountId)?.getSnapshot();
  }

  terminalSnapshot(terminalId: string): TerminalSnapshot | undefined {
    return this.terminals.get(terminalId)?.getSnapshot();
  }

  /** Stops every actor. */
  stop(): void {
    for (const a of this.accounts.values()) a.stop();
    for (const t of this.terminals.values()) t.stop();
    this.accounts.clear();
    this.terminals.clear();
  }

  private sendAccount(id: string, event: Parameters<AccountActor['send']>[0]): AccountSnapshot {
    let actor = this.accounts.get(id);
    if (actor === undefined) {
      actor = startActor(createActor(this.accountLogic, { input: { accountId: id } }));
      this.accounts.set(id, actor);
    }
    const before = actor.getSnapshot();
    actor.send(event);
    const after = actor.getSnapshot();
    if (after.status !== 'error') return after;
    const restored = startActor(createActor(this.accountLogic, {
        input: { accountId: id },
        snapshot: this.accountLogic.getPersistedSnapshot(before),
      }));
    this.accounts.set(id, restored);
    const error = new ActorFailedError('account', id, { cause: after.error });
    this.onActorError(error);
    throw error;
  }

  private sendTerminal(id: string, event: Parameters<TerminalActor['send']>[0]): TerminalSnapshot {
    let actor = this.terminals.get(id);
    if (actor === undefined) {
      actor = startActor(createActor(this.terminalLogic, { input: { terminalId: id, labelDelayMs: this.labelDelayMs } }));
      this.terminals.set(id, actor);
    }
    const before = actor.getSnapshot();
    actor.send(event);
    const after = actor.getSnapshot();
    if (after.status !== 'error') return after;
    const restored = startActor(createActor(this.terminalLogic, {
        input: { terminalId: id, labelDelayMs: this.labelDelayMs },
        snapshot: this.terminalLogic.getPersistedSnapshot(before),
      }));
    this.terminals.set(id, restored);
    const error = new ActorFailedError('terminal', id, { cause: after.error });
    this.onActorError(error);
    throw error;
  }
}

/** Starts an actor with an error observer, so a failure never becomes an unhandled error. */
function startActor<A extends AccountActor | TerminalActor>(actor: A): A {
  (actor as AccountActor).subscribe({ error: () => {} });
  actor.start();
  return actor;
}
