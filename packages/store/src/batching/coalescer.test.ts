import { describe, expect, it } from 'vitest';
import { createCoalescer, type BatchRunner } from './coalescer.js';

/** A runner whose batches complete only when the test says so. */
function controlledRunner() {
  const batches: number[][] = [];
  const release: Array<() => void> = [];
  const run: BatchRunner<number, number> = async (batch) => {
    batches.push([...batch]);
    await new Promise<void>((resolve) => release.push(resolve));
    return batch.map((n) => ({ status: 'fulfilled' as const, value: n * 10 }));
  };
  return { run, batches, release };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createCoalescer', () => {
  it('sends the calls of one event-loop turn as one batch', async () => {
    const runner = controlledRunner();
    const call = createCoalescer(runner.run);
    const results = Promise.all([call(1), call(2), call(3)]);
    await turn();
    expect(runner.batches).toEqual([[1, 2, 3]]);
    runner.release.shift()?.();
    await expect(results).resolves.toEqual([10, 20, 30]);
  });

  it('a lone call goes out at once at low load', async () => {
    const call = createCoalescer<number, number>(async (batch) =>
      batch.map((n) => ({ status: 'fulfilled', value: n + 1 })),
    );
    await expect(call(41)).resolves.toBe(42);
  });

  it('queues calls while maxInFlight batches run, then sends them together', async () => {
    const runner = controlledRunner();
    const call = createCoalescer(runner.run, { maxInFlight: 1 });
    const first = call(1);
    await turn();
    const later = [call(2), call(3), call(4)];
    await turn();
    expect(runner.batches).toEqual([[1]]);
    runner.release.shift()?.();
    await expect(first).resolves.toBe(10);
    await turn();
    expect(runner.batches).toEqual([[1], [2, 3, 4]]);
    runner.release.shift()?.();
    await expect(Promise.all(later)).resolves.toEqual([20, 30, 40]);
  });

  it('splits at maxBatch and runs up to maxInFlight batches at once', async () => {
    const runner = controlledRunner();
    const call = createCoalescer(runner.run, { maxBatch: 2, maxInFlight: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => call(n)));
    await turn();
    expect(runner.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    runner.release.shift()?.();
    await turn();
    await turn();
    expect(runner.batches).toEqual([[1, 2], [3, 4], [5]]);
    while (runner.release.length > 0) runner.release.shift()?.();
    await expect(all).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it('a per-item failure rejects only that caller', async () => {
    const call = createCoalescer<number, number>(async (batch) =>
      batch.map((n) =>
        n === 2
          ? { status: 'rejected', reason: new Error('two') }
          : { status: 'fulfilled', value: n },
      ),
    );
    const results = await Promise.allSettled([call(1), call(2), call(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('a failing batch rejects every caller and later calls still run', async () => {
    let fail = true;
    const call = createCoalescer<number, number>(async (batch) => {
      if (fail) throw new Error('down');
      return batch.map((n) => ({ status: 'fulfilled', value: n }));
    });
    const results = await Promise.allSettled([call(1), call(2)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    fail = false;
    await expect(call(3)).resolves.toBe(3);
  });
});
