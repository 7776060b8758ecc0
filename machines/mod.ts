export { accountMachine, type AccountContext, type AccountEvent, type AccountBlock, type AccountSignal } from './account.js';
export { terminalMachine, type TerminalContext, type TerminalEvent } from './terminal.js';
