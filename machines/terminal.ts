/**
 * The terminal (merchant) actor: one per terminal. Holds the terminal's
 * transactions over label delay + 30 days with their known fraud labels, and
 * yields the delayed terminal risk features of each transaction. Pure: time
 * comes from events; `onRejected` is injected with `provide()`.
 */
import { assign, setup } from 'xstate';
import {
  applyTerminalLabel,
  DEFAULT_LABEL_DELAY_MS,
  EMPTY_TERMINAL_WINDOW,
  findTerminalEntry,
  recordTerminalTx,
  terminalFeatures,
  type TerminalFeatures,
  type TerminalWindow,
} from '../src/domain/terminal-window.js';

export interface TerminalContext {
  readonly terminalId: string;
  readonly labelDelayMs: number;
  readonly window: TerminalWindow;
  readonly txCount: number;
  readonly lastTx: { readonly txId: string; readonly features: TerminalFeatures } | null;
  /** Labels that matched no transaction in the window (unknown or expired). */
  readonly unmatchedLabels: number;
}

export type TerminalEvent =
  | { type: 'TX'; txId: string; timestampMs: number }
  | { type: 'LABEL'; txId: string; fraud: boolean; txTimestampMs?: number };

export const terminalMachine = setup({
  types: {
    context: {} as TerminalContext,
    events: {} as TerminalEvent,
    input: {} as { terminalId: string; labelDelayMs?: number },
  },
  guards: {
    validTx: ({ event }) => event.type === 'TX' && Number.isFinite(event.timestampMs) && event.txId.length > 0,
  },
  actions: {
    applyTx: assign(({ context, event }) => {
      if (event.type !== 'TX') return {};
      const features = terminalFeatures(context.window, event.timestampMs, context.labelDelayMs);
      // Idempotent by txId: a transaction already in the window (a redelivery) is not recorded again.
      if (findTerminalEntry(context.window, event.txId, event.timestampMs) >= 0) return { lastTx: { txId: event.txId, features } };
      return {
        window: recordTerminalTx(context.window, event, context.labelDelayMs),
        txCount: context.txCount + 1,
        lastTx: { txId: event.txId, features },
      };
    }),
    applyLabel: assign(({ context, event }) => {
      if (event.type !== 'LABEL') return {};
      const window = applyTerminalLabel(context.window, event);
      if (window !== context.window) return { window };
      const known = context.window.txId.includes(event.txId);
      return known ? {} : { unmatchedLabels: context.unmatchedLabels + 1 };
    }),
    onRejected: (_, _params: { reason: string }) => {},
  },
}).createMachine({
  id: 'terminal',
  context: ({ input }) => ({
    terminalId: input.terminalId,
    labelDelayMs: input.labelDelayMs ?? DEFAULT_LABEL_DELAY_MS,
    window: EMPTY_TERMINAL_WINDOW,
    txCount: 0,
    lastTx: null,
    unmatchedLabels: 0,
  }),
  initial: 'active',
  states: {
    active: {
      on: {
        TX: [
          { guard: 'validTx', actions: 'applyTx' },
          { actions: { type: 'onRejected', params: { reason: 'invalid transaction' } } },
        ],
        LABEL: { actions: 'applyLabel' },
      },
    },
  },
});
