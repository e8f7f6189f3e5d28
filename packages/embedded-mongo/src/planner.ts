import { isPlainObject, keyOf, type Doc } from './bson-values.js';
import type { Index } from './indexes.js';

/**
 * Which documents a filter can be answered from through the indexes (equality, $in and $or of
 * those), so find/update/delete look at a few candidates instead of scanning the collection.
 */

const MAX_LOOKUP_KEYS = 1000;
/** Nested $or plans deeper than this scan instead (MongoDB itself caps nesting at 100). */
const MAX_OR_DEPTH = 4;

/** Candidate ids from index lookups; `size` is the number of ids, used to pick the cheapest plan. */
export interface Plan {
  ids: Set<string>;
  size: number;
  exact: boolean;
}

/** A scalar that equality lookups can find through index keys without changing the result set. */
export const isIndexable = (v: unknown): boolean => {
  if (v === null || v === undefined || Array.isArray(v) || v instanceof RegExp) return false;
  if (isPlainObject(v)) return false;
  return typeof v !== 'object' || (v as { _bsontype?: string })._bsontype !== 'BSONRegExp';
};

/** Values a top-level filter condition requires by equality ({f: v}, {f: {$eq: v}}, {f: {$in: [...]}}). */
export function equalityValues(cond: unknown): unknown[] | undefined {
  if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
    const keys = Object.keys(cond);
    if (keys.length !== 1) return undefined;
    if ('$eq' in cond) return isIndexable(cond.$eq) ? [cond.$eq] : undefined;
    if ('$in' in cond && Array.isArray(cond.$in))
      return cond.$in.every(isIndexable) ? cond.$in : undefined;
    return undefined;
  }
  return isIndexable(cond) ? [cond] : undefined;
}

/**
 * The candidate ids for a filter from the secondary indexes and the `_id` keys, or undefined when
 * only a full scan can answer it. `exact` means the lookup alone decided the match.
 */
export function planLookup(secondary: readonly Index[], filter: Doc): Plan | undefined {
  return plan(secondary, filter, 0);
}

/**
 * The ids an index lookup yields for a filter (a superset of its matches, without duplicates),
 * or undefined when only a full scan can answer it.
 */
function plan(indexes: readonly Index[], filter: Doc, depth: number): Plan | undefined {
  const conditions = Object.keys(filter).length;
  const eq = new Map<string, unknown[]>();
  for (const [field, cond] of Object.entries(filter)) {
    if (field.startsWith('$')) continue;
    const values = equalityValues(cond);
    if (values) eq.set(field, values);
  }
  const byEquality = eq.size > 0 ? planEquality(indexes, eq, conditions) : undefined;
  // A top-level $or (a batched lookup: one clause per request) can use the indexes when every
  // clause can; the union of the clauses' candidates then holds every match.
  const byOr =
    Array.isArray(filter.$or) && depth < MAX_OR_DEPTH
      ? planOr(indexes, filter.$or, conditions === 1, depth)
      : undefined;
  if (byEquality && byOr) return byOr.size < byEquality.size ? byOr : byEquality;
  return byEquality ?? byOr;
}

function planEquality(
  indexes: readonly Index[],
  eq: Map<string, unknown[]>,
  conditions: number,
): Plan | undefined {
  const ids = eq.get('_id');
  if (ids) {
    const set = new Set(ids.map(keyOf));
    return { ids: set, size: set.size, exact: conditions === 1 };
  }
  let best: { sets: Set<string>[]; used: number } | undefined;
  let bestSize = Infinity;
  for (const ix of indexes) {
    // Equality on a non-null value implies the field exists, so sparse indexes are complete for it;
    // a partial index only when the equalities imply its filter (the idempotency key's index).
    if (!ix.coversEquality(eq)) continue;
    const found = lookup(ix, eq);
    if (!found) continue;
    const size = found.sets.reduce((n, s) => n + s.size, 0);
    if (size < bestSize || (size === bestSize && best && found.used > best.used)) {
      best = found;
      bestSize = size;
    }
  }
  if (!best) return undefined;
  // Keep index order within one key; several keys ($in) are merged without duplicates.
  const found =
    best.sets.length === 1
      ? (best.sets[0] as Set<string>)
      : new Set(best.sets.flatMap((s) => [...s]));
  return { ids: found, size: found.size, exact: best.used === conditions };
}

/**
 * Union of the clauses' plans; undefined as soon as one clause needs a scan. Exact when the
 * $or is the whole filter and every clause's lookup was exact: the union of exact match sets
 * is exactly the set of documents matching at least one clause.
 */
function planOr(
  indexes: readonly Index[],
  clauses: unknown[],
  alone: boolean,
  depth: number,
): Plan | undefined {
  if (clauses.length === 0) return undefined;
  const ids = new Set<string>();
  let exact = alone;
  for (const clause of clauses) {
    if (!isPlainObject(clause)) return undefined;
    const p = plan(indexes, clause, depth + 1);
    if (!p) return undefined;
    for (const id of p.ids) ids.add(id);
    exact &&= p.exact;
  }
  return { ids, size: ids.size, exact };
}

function lookup(
  ix: Index,
  eq: Map<string, unknown[]>,
): { sets: Set<string>[]; used: number } | undefined {
  const first = ix.fields[0] as string;
  if (ix.fields.every((f) => eq.has(f))) {
    let combos: string[] = [''];
    for (const f of ix.fields) {
      const values = eq.get(f) as unknown[];
      combos = combos.flatMap((c) => values.map((v) => (c === '' ? keyOf(v) : `${c}|${keyOf(v)}`)));
      if (combos.length > MAX_LOOKUP_KEYS) return undefined;
    }
    const sets = combos
      .map((k) => ix.entries.get(k))
      .filter((s): s is Set<string> => s !== undefined);
    return { sets, used: ix.fields.length };
  }
  const values = eq.get(first);
  if (!values) return undefined;
  return {
    sets: values
      .map((v) => ix.byFirst.get(keyOf(v)))
      .filter((s): s is Set<string> => s !== undefined),
    used: 1,
  };
}
