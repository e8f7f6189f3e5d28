import { isObjectIdString } from '@chat/protocol';
import { ObjectId } from 'mongodb';

/** Drops keys whose value is undefined: the driver would otherwise store them as null. */
export function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) if (value !== undefined) out[key] = value;
  return out as T;
}

/**
 * Parses an id in the protocol's form (24 lowercase hex chars, as every id this system writes);
 * undefined for anything else (callers answer NOT_FOUND/VALIDATION_FAILED).
 */
export function parseObjectId(value: string): ObjectId | undefined {
  return isObjectIdString(value) ? new ObjectId(value) : undefined;
}

/** A direct conversation's unique key: `<smaller id hex>:<larger id hex>`. */
export function directKeyOf(a: ObjectId, b: ObjectId): string {
  const [x, y] = [a.toHexString(), b.toHexString()].sort();
  return `${x}:${y}`;
}

/** Removes duplicate ids while keeping order. */
export function uniqueIds(ids: readonly ObjectId[]): ObjectId[] {
  const seen = new Set<string>();
  const out: ObjectId[] = [];
  for (const id of ids) {
    const hex = id.toHexString();
    if (!seen.has(hex)) {
      seen.add(hex);
      out.push(id);
    }
  }
  return out;
}
