import { isPlainObject, keyOf, type Doc } from './bson-values.js';
import { idCount, idList, type Ids, type Index } from './indexes.js';

/**
 * Which documents a filter can be answered from through the indexes (equality, $in and $or of
 * those), so find/update/delete look at a few candidates instead of scanning the collection.
 */

const MAX_LOOKUP_KEYS = 1000;
/** Nested $or plans deeper than this scan instead (MongoDB itself caps nesting at 100). */
const MAX_OR_DEPTH = 4;

/** Candidate ids from index lookups; `size` is the number of ids, used to pick the cheapest plan. */
export interface Plan {
  /** Without duplicates. */
  ids: Iterable<string>;
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
    if (ids.length === 1) return { ids: [keyOf(ids[0])], size: 1, exact: conditions === 1 };
    const set = new Set(ids.map(keyOf));
    return { ids: set, size: set.size, exact: conditions === 1 };
  }
  // Canonical keys per field, computed once for all the indexes that use the field.
  const keys = new Map<string, string[]>();
  let best: { sets: Ids[]; used: number } | undefined;
  let bestSize = Infinity;
  for (const ix of indexes) {
    // Equality on a non-null value implies the field exists, so sparse indexes are complete for it;
    // a partial index only when the equalities imply its filter (the idempotency key's index).
    if (!ix.coversEquality(eq)) continue;
    const found = lookup(ix, eq, keys);
    if (!found) continue;
    const size = found.sets.reduce((n, s) => n + idCount(s), 0);
    if (size < bestSize || (size === bestSize && best && found.used > best.used)) {
      best = found;
      bestSize = size;
      // No other index can give fewer candidates or a more exact answer.
      if (size === 0 || (size === 1 && found.used === conditions)) break;
    }
  }
  if (!best) return undefined;
  // Keep index order within one key; several keys ($in) are merged without duplicates.
  const first = best.sets[0];
  if (best.sets.length === 1 && first !== undefined)
    return { ids: idList(first), size: bestSize, exact: best.used === conditions };
  const found = new Set<string>();
  for (const s of best.sets) for (const id of idList(s)) found.add(id);
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

/** The canonical keys of a field's equality values, cached in `keys` across indexes. */
function keysOfField(eq: Map<string, unknown[]>, keys: Map<string, string[]>, f: string): string[] {
  let k = keys.get(f);
  if (!k) {
    k = (eq.get(f) as unknown[]).map(keyOf);
    keys.set(f, k);
  }
  return k;
}

function lookup(
  ix: Index,
  eq: Map<string, unknown[]>,
  keys: Map<string, string[]>,
): { sets: Ids[]; used: number } | undefined {
  const first = ix.fields[0] as string;
  let all = true;
  for (const f of ix.fields) if (!eq.has(f)) all = false;
  if (all) {
    let combos: string[] = [''];
    for (const f of ix.fields) {
      const values = keysOfField(eq, keys, f);
      if (values.length === 1) {
        // One value per field (the usual lookup): extend each combination in place.
        const k = values[0] as string;
        for (let i = 0; i < combos.length; i++) {
          const c = combos[i] as string;
          combos[i] = c === '' ? k : `${c}|${k}`;
        }
        continue;
      }
      combos = combos.flatMap((c) => values.map((k) => (c === '' ? k : `${c}|${k}`)));
      if (combos.length > MAX_LOOKUP_KEYS) return undefined;
    }
    const sets: Ids[] = [];
    for (const k of combos) {
      const ids = ix.entries.get(k);
      if (ids !== undefined) sets.push(ids);
    }
    return { sets, used: ix.fields.length };
  }
  if (!eq.has(first)) return undefined;
  const sets: Ids[] = [];
  for (const k of keysOfField(eq, keys, first)) {
    const ids = ix.idsByFirst(k);
    if (ids !== undefined) sets.push(ids);
  }
  return { sets, used: 1 };
}
