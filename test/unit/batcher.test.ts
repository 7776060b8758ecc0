/** MicroBatcher: calls of one tick share a batch, maxBatch splits, errors stay in their batch, maxWaitMs bounds the wait. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher } from '../../src/engine/batcher.js';

/** A run function that records its batches and doubles every item. */
function recorder() {
  const batches: number[][] = [];
  const run = (items: readonly number[]) => {
    batches.push([...items]);
    return items.map((x) => x * 2);
  };
  return { batches, run };
}

describe('MicroBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('items submitted in the same tick share one batch, in order, each getting its own result', async () => {
    const { batches, run } = recorder();
    const sizes: number[] = [];
    const b = new MicroBatcher(run, { maxBatch: 100, maxWaitMs: 0, onBatch: (n) => sizes.push(n) });
    const results = await Promise.all([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    expect(sizes).toEqual([5]);
    expect(b.pending).toBe(0);
  });

  it('items of different ticks go to different batches', async () => {
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 100, maxWaitMs: 0 });
    const first = b.submit(1);
    await first;
    await b.submit(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('a lone item is run without waiting for company', async () => {
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 100, maxWaitMs: 0 });
    const t0 = performance.now();
    expect(await b.submit(21)).toBe(42);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(batches).toEqual([[21]]);
  });

  it('maxBatch splits a burst into full batches and a remainder', async () => {
    const { batches, run } = recorder();
    const sizes: number[] = [];
    const b = new MicroBatcher(run, { maxBatch: 4, maxWaitMs: 0, onBatch: (n) => sizes.push(n) });
    const items = Array.from({ length: 10 }, (_, i) => i);
    const results = await Promise.all(items.map((x) => b.submit(x)));
    expect(results).toEqual(items.map((x) => x * 2));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('a full batch runs at once, without waiting for the tick to end', () => {
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 3, maxWaitMs: 50 });
    void b.submit(1);
    void b.submit(2);
    expect(batches).toEqual([]);
    expect(b.pending).toBe(2);
    void b.submit(3);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(b.pending).toBe(0);
  });

  it('maxBatch 1 runs every item alone', async () => {
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 1, maxWaitMs: 0 });
    await Promise.all([1, 2, 3].map((x) => b.submit(x)));
    expect(batches).toEqual([[1], [2], [3]]);
  });

  it('rejects a maxBatch below 1', () => {
    expect(() => new MicroBatcher(recorder().run, { maxBatch: 0, maxWaitMs: 0 })).toThrow(RangeError);
  });

  it('a run error rejects every item of that batch, and only that batch', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher(
      async (items: readonly number[]) => {
        batches.push([...items]);
        if (items.includes(13)) throw new Error('unlucky batch');
        return items.map((x) => x * 2);
      },
      { maxBatch: 3, maxWaitMs: 0 },
    );
    const outcomes = await Promise.allSettled([10, 11, 12, 13, 14, 15, 16].map((x) => b.submit(x)));
    expect(batches).toEqual([[10, 11, 12], [13, 14, 15], [16]]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    for (const o of outcomes.slice(3, 6)) expect((o as PromiseRejectedResult).reason).toEqual(new Error('unlucky batch'));
    expect((outcomes[6] as PromiseFulfilledResult<number>).value).toBe(32);
    // The batcher keeps working after a failed batch.
    expect(await b.submit(1)).toBe(2);
  });

  it('a synchronous throw in run rejects the batch instead of escaping', async () => {
    const b = new MicroBatcher<number, number>(
      () => {
        throw new Error('sync failure');
      },
      { maxBatch: 10, maxWaitMs: 0 },
    );
    const outcomes = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('a run that returns the wrong number of results rejects the whole batch', async () => {
    const b = new MicroBatcher((items: readonly number[]) => items.slice(1), { maxBatch: 10, maxWaitMs: 0 });
    const outcomes = await Promise.allSettled([b.submit(1), b.submit(2), b.submit(3)]);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('2 results for 3 items');
  });

  it('batches run independently: a slow batch does not hold back the next one', async () => {
    const release: (() => void)[] = [];
    const done: number[] = [];
    const b = new MicroBatcher(
      async (items: readonly number[]) => {
        if (items.includes(1)) await new Promise<void>((r) => release.push(r));
        return items;
      },
      { maxBatch: 10, maxWaitMs: 0 },
    );
    const slow = b.submit(1).then((x) => done.push(x));
    await new Promise((r) => setImmediate(r));
    await b.submit(2).then((x) => done.push(x));
    expect(done).toEqual([2]);
    release.forEach((r) => r());
    await slow;
    expect(done).toEqual([2, 1]);
  });

  it('maxWaitMs holds a partial batch until the wait ends, gathering later items', async () => {
    vi.useFakeTimers();
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 100, maxWaitMs: 20 });
    const p1 = b.submit(1);
    await vi.advanceTimersByTimeAsync(10);
    const p2 = b.submit(2); // joins the waiting batch; does not restart the wait
    await vi.advanceTimersByTimeAsync(9);
    expect(batches).toEqual([]);
    expect(b.pending).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2]]);
    expect(await Promise.all([p1, p2])).toEqual([2, 4]);
  });

  it('with maxWaitMs a full batch still runs immediately', async () => {
    vi.useFakeTimers();
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 2, maxWaitMs: 1000 });
    const results = Promise.all([b.submit(1), b.submit(2)]);
    expect(batches).toEqual([[1, 2]]);
    expect(await results).toEqual([2, 4]);
    // The cancelled timer does not produce an empty batch later.
    await vi.advanceTimersByTimeAsync(2000);
    expect(batches).toEqual([[1, 2]]);
  });

  it('flush() runs what is queued now, before the wait ends', async () => {
    vi.useFakeTimers();
    const { batches, run } = recorder();
    const b = new MicroBatcher(run, { maxBatch: 100, maxWaitMs: 50 });
    const p = b.submit(7);
    b.flush();
    expect(batches).toEqual([[7]]);
    expect(await p).toBe(14);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([[7]]);
    b.flush(); // nothing queued: no empty batch
    expect(batches).toEqual([[7]]);
  });
});
