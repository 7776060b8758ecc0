import { describe, expect, it } from 'vitest';
import { assign } from 'xstate';
import { accountMachine } from '../../machines/mod.js';
import { ActorFailedError, InvalidEventError } from '../../src/engine/errors.js';
import { EntityRegistry } from '../../src/engine/entities.js';

const T0 = Date.UTC(2018, 3, 2, 12);
const DAY = 86_400_000;
const tx = (txId: string, accountId: string, terminalId: string, amount: number, t: number) => ({
  txId, accountId, terminalId, amount, timestampMs: t,
});

describe('entity registry (account and terminal actors)', () => {
  it('routes a transaction to its account and terminal actors and returns both feature sets', () => {
    const reg = new EntityRegistry();
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0));
    const f = reg.applyTransaction(tx('2', 'A', 'T', 30, T0 + 1000));
    expect(f.account.nbTx1d).toBe(2);
    expect(f.account.avgAmount1d).toBe(20);
    expect(f.terminal.nbTx30d).toBe(0); // both within the label delay
    expect(reg.accountSnapshot('A')?.context.txCount).toBe(2);
    expect(reg.terminalSnapshot('T')?.context.txCount).toBe(2);
    expect(reg.accountCount).toBe(1);
  });

  it('labels reach the terminal: delayed risk after 7 days', () => {
    const reg = new EntityRegistry();
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0));
    reg.applyTransaction(tx('2', 'B', 'T', 10, T0 + 1));
    reg.applyLabel({ txId: '1', accountId: 'A', terminalId: 'T', txTimestampMs: T0, label: 'fraud', source: 'chargeback', timestampMs: T0 + DAY });
    const f = reg.applyTransaction(tx('3', 'C', 'T', 10, T0 + 7 * DAY + 10));
    expect(f.terminal.nbTx1d).toBe(2);
    expect(f.terminal.risk1d).toBe(0.5);
    expect(reg.accountSnapshot('A')?.context.fraudLabels).toBe(1);
  });

  it('block and unblock move the account between states', () => {
    const reg = new EntityRegistry();
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0));
    expect(reg.block('A', 'stolen card', 'analyst-1', T0).value).toBe('blocked');
    expect(reg.applyTransaction(tx('2', 'A', 'T', 10, T0 + 1)).accountBlocked).toBe(true);
    expect(reg.unblock('A', 'card replaced', 'analyst-1', T0 + 2).value).toBe('active');
  });

  it('rejects invalid transactions before any actor sees them', () => {
    const reg = new EntityRegistry();
    expect(() => reg.applyTransaction(tx('1', 'A', 'T', Number.NaN, T0))).toThrow(InvalidEventError);
    expect(() => reg.applyTransaction(tx('1', 'A', 'T', -1, T0))).toThrow(InvalidEventError);
    expect(() => reg.applyTransaction(tx('', 'A', 'T', 1, T0))).toThrow(InvalidEventError);
    expect(reg.accountCount).toBe(0);
  });

  it('an actor failing on one event keeps its state, and other actors and later events are unaffected', () => {
    const errors: ActorFailedError[] = [];
    const poisoned = accountMachine.provide({
      actions: {
        applyLabel: assign(({ event }) => {
          if (event.type === 'LABEL' && event.txId === 'poison') throw new Error('boom');
          return {};
        }),
      },
    });
    const reg = new EntityRegistry({ machines: { account: poisoned }, onActorError: (e) => errors.push(e) });
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0));
    reg.applyTransaction(tx('2', 'B', 'T', 10, T0));
    expect(() =>
      reg.applyLabel({ txId: 'poison', accountId: 'A', label: 'fraud', source: 'test', timestampMs: T0 }),
    ).toThrow(ActorFailedError);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.cause).toBeInstanceOf(Error);
    expect(reg.accountSnapshot('A')?.status).toBe('active');
    expect(reg.accountSnapshot('A')?.context.txCount).toBe(1);
    expect(reg.applyTransaction(tx('3', 'A', 'T', 10, T0 + 1)).account.nbTx1d).toBe(2);
    expect(reg.applyTransaction(tx('4', 'B', 'T', 10, T0 + 1)).account.nbTx1d).toBe(2);
  });
});

describe('entity registry: persistence, sequences and passivation', () => {
  it('a terminal applies a transaction id once (redelivery is idempotent)', () => {
    const reg = new EntityRegistry();
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0));
    reg.applyTransaction(tx('1', 'B', 'T', 10, T0));
    expect(reg.terminalSnapshot('T')?.context.txCount).toBe(1);
    expect(reg.terminalSnapshot('T')?.context.window.txId).toEqual(['1']);
  });

  it('persisted snapshots restore exactly, with their sequence', () => {
    const reg = new EntityRegistry();
    reg.applyTransaction(tx('1', 'A', 'T', 10, T0), 5);
    reg.applyTransaction(tx('2', 'A', 'T', 30, T0 + 1000), 9);
    reg.block('A', 'stolen', 'analyst', T0 + 2000);
    const a = reg.accounts.persisted('A');
    const t = reg.terminals.persisted('T');
    expect(a?.seq).toBe(9);
    // The fast persisted form equals XState's own getPersistedSnapshot.
    const xstate = JSON.parse(JSON.stringify(accountMachine.getPersistedSnapshot(reg.accountSnapshot('A') as never)));
    expect(JSON.parse(a?.snapshot ?? '{}')).toEqual(xstate);
    const other = new EntityRegistry();
    other.accounts.restore('A', a?.snapshot ?? '', a?.seq ?? 0);
    other.terminals.restore('T', t?.snapshot ?? '', t?.seq ?? 0);
    expect(other.accountSnapshot('A')?.context).toEqual(reg.accountSnapshot('A')?.context);
    expect(other.accountSnapshot('A')?.value).toBe('blocked');
    expect(other.accounts.seq('A')).toBe(9);
    const next = other.applyTransaction(tx('3', 'A', 'T', 20, T0 + 3000), 10);
    expect(next.account.nbTx1d).toBe(3);
    expect(next.accountBlocked).toBe(true);
  });

  it('evicts least recently used clean actors only', () => {
    let now = 0;
    const reg = new EntityRegistry({ now: () => now });
    for (const id of ['A', 'B', 'C']) {
      now += 10;
      reg.applyTransaction(tx(id, id, `T${id}`, 1, T0));
    }
    expect(reg.accounts.evictBeyond(1)).toBe(0); // all dirty: nothing is lost
    reg.accounts.markClean(['A', 'B', 'C']);
    now += 10;
    reg.applyTransaction(tx('A2', 'A', 'TA', 1, T0 + 1)); // A becomes most recent (and dirty)
    expect(reg.accounts.evictBeyond(1)).toBe(2);
    expect([...reg.accounts.ids()]).toEqual(['A']);
    reg.accounts.markClean(['A']);
    expect(reg.accounts.evictBeyond(10, now + 1)).toBe(1); // idle passivation
    expect(reg.accountCount).toBe(0);
  });
});
