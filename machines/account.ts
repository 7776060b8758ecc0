/**
 * The account (card) actor: one per account. Holds the account's 30-day
 * event-time history, block state and label history, and yields the account
 * features of each transaction it applies. Pure: time comes from events, and
 * the only side effect (`onRejected`) is injected with `provide()`.
 */
import { assign, setup } from 'xstate';
import {
  accountFeatures,
  EMPTY_ACCOUNT_WINDOW,
  recordAccountTx,
  type AccountFeatures,
  type AccountWindow,
} from '../src/domain/account-window.js';

export interface AccountBlock {
  readonly reason: string;
  readonly atMs: number;
  readonly by: string;
}

export interface AccountContext {
  readonly accountId: string;
  readonly window: AccountWindow;
  /** Transactions ever applied to this account. */
  readonly txCount: number;
  /** The last applied transaction and its features. */
  readonly lastTx: { readonly txId: string; readonly features: AccountFeatures } | null;
  readonly fraudLabels: number;
  readonly lastFraudLabelAtMs: number | null;
  readonly block: AccountBlock | null;
  /** Event time of the latest account event of each kind (login, device_change, …). */
  readonly lastEvents: Readonly<Partial<Record<AccountSignal, number>>>;
}

export type AccountSignal = 'login' | 'device_change' | 'password_reset' | 'contact_change';

export type AccountEvent =
  | { type: 'TX'; txId: string; terminalId: string; amount: number; timestampMs: number }
  | { type: 'LABEL'; txId: string; fraud: boolean; timestampMs: number }
  | { type: 'BLOCK'; reason: string; by: string; timestampMs: number }
  | { type: 'UNBLOCK'; reason: string; by: string; timestampMs: number }
  | { type: 'ACCOUNT_EVENT'; kind: AccountSignal; timestampMs: number };

export const accountMachine = setup({
  types: {
    context: {} as AccountContext,
    events: {} as AccountEvent,
    input: {} as { accountId: string },
  },
  guards: {
    validTx: ({ event }) =>
      event.type === 'TX' &&
      Number.isFinite(event.amount) &&
      event.amount >= 0 &&
      Number.isFinite(event.timestampMs) &&
      event.txId.length > 0 &&
      event.terminalId.length > 0,
  },
  actions: {
    applyTx: assign(({ context, event }) => {
      if (event.type !== 'TX') return {};
      const features = accountFeatures(context.window, event);
      return {
        window: recordAccountTx(context.window, event),
        txCount: context.txCount + 1,
        lastTx: { txId: event.txId, features },
      };
    }),
    applyLabel: assign(({ context, event }) => {
      if (event.type !== 'LABEL' || !event.fraud) return {};
      return { fraudLabels: context.fraudLabels + 1, lastFraudLabelAtMs: event.timestampMs };
    }),
    setBlock: assign(({ event }) =>
      event.type === 'BLOCK' ? { block: { reason: event.reason, atMs: event.timestampMs, by: event.by } } : {},
    ),
    clearBlock: assign({ block: null }),
    recordSignal: assign(({ context, event }) => {
      if (event.type !== 'ACCOUNT_EVENT') return {};
      const previous = context.lastEvents[event.kind] ?? -Infinity;
      return event.timestampMs > previous ? { lastEvents: { ...context.lastEvents, [event.kind]: event.timestampMs } } : {};
    }),
    /** Injected: report an event the actor refused (it changes nothing). */
    onRejected: (_, _params: { reason: string }) => {},
  },
}).createMachine({
  id: 'account',
  context: ({ input }) => ({
    accountId: input.accountId,
    window: EMPTY_ACCOUNT_WINDOW,
    txCount: 0,
    lastTx: null,
    fraudLabels: 0,
    lastFraudLabelAtMs: null,
    block: null,
    lastEvents: {},
  }),
  initial: 'active',
  on: {
    TX: [
      { guard: 'validTx', actions: 'applyTx' },
      { actions: { type: 'onRejected', params: { reason: 'invalid transaction' } } },
    ],
    LABEL: { actions: 'applyLabel' },
    ACCOUNT_EVENT: { actions: 'recordSignal' },
  },
  states: {
    active: {
      on: { BLOCK: { target: 'blocked', actions: 'setBlock' } },
    },
    blocked: {
      on: {
        BLOCK: { actions: 'setBlock' },
        UNBLOCK: { target: 'active', actions: 'clearBlock' },
      },
    },
  },
});
