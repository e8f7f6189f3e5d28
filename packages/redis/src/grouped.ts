import { isCluster, type RedisClient } from './clients.js';
import { groupBySlot } from './slots.js';

/**
 * Runs `run` over `items` and returns its results in the items' order. On one Redis it is
 * one call (one pipeline, one round trip); on a cluster one call per slot of `keyOf(item)`,
 * in parallel, because a pipeline or multi-key command must stay in one slot there.
 */
export async function runBySlot<T, R>(
  client: RedisClient,
  items: readonly T[],
  keyOf: (item: T) => string,
  run: (group: T[]) => Promise<R[]>,
): Promise<R[]> {
  if (items.length === 0) return [];
  if (!isCluster(client)) return run([...items]);
  const indexed = items.map((item, index) => ({ item, index }));
  const groups = groupBySlot(indexed, (entry) => keyOf(entry.item));
  const out = new Array<R>(items.length);
  await Promise.all(
    groups.map(async (group) => {
      const results = await run(group.map((entry) => entry.item));
      group.forEach((entry, i) => {
        out[entry.index] = results[i] as R;
      });
    }),
  );
  return out;
}

/** Unwraps a pipeline's replies, rethrowing the first command error. */
export function pipelineResults(raw: Array<[Error | null, unknown]> | null): unknown[] {
  if (!raw) throw new Error('pipeline was discarded');
  return raw.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
