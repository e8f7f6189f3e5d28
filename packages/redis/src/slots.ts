// cluster-key-slot ships no types; a program that reaches this file only through imports (the
// web typecheck, via testkit) must still see the declaration.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';

/**
 * `{tag}`: keys that contain the same hash tag live in the same Redis Cluster slot, so one
 * script or MULTI may touch them all. Only the first `{…}` of a key counts.
 */
export const hashTag = (tag: string): string => `{${tag}}`;

/** The cluster slot (0–16383) of a key. */
export const slotOf = (key: string): number => calculateSlot(key);

/** The one slot all keys share, or undefined when they span slots. */
export function commonSlot(keys: readonly string[]): number | undefined {
  if (keys.length === 0) return undefined;
  const slot = calculateSlot.generateMulti(keys);
  return slot < 0 ? undefined : slot;
}

/**
 * Items grouped by the slot of their key, in first-seen order: a cluster takes a pipeline or
 * a multi-key command only when its keys share a slot (ioredis checks the node group).
 */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return [...groups.values()];
}
