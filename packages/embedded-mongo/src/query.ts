import { Context, find, Query } from 'mingo';
import { Lazy } from 'mingo/lazy';
import type { Options } from 'mingo/types';
import { compareValues, isPlainObject, pathValues, type Doc } from './bson-values.js';
import { badValue, CommandError, notImplemented } from './errors.js';

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$type', '$regex', '$options',
  '$mod', '$all', '$elemMatch', '$size', '$not', '$bitsAllSet', '$bitsAllClear', '$bitsAnySet', '$bitsAnyClear',
]);
const UNSUPPORTED_OPERATORS = new Set([
  '$text', '$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$within', '$where', '$jsonSchema',
]);
const TOP_LEVEL = new Set(['$and', '$or', '$nor', '$expr', '$comment']);

/** Rejects operators MongoDB would reject (BadValue) or that we cannot evaluate (NotImplemented). */
export function validateFilter(filter: unknown): void {
  if (filter === undefined || filter === null) return;
  if (!isPlainObject(filter)) throw new CommandError(14, 'TypeMismatch', 'filter must be an object');
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$')) {
      if (UNSUPPORTED_OPERATORS.has(k)) throw notImplemented(`${k} is not supported by the embedded server`);
      if (!TOP_LEVEL.has(k)) throw badValue(`unknown top level operator: ${k}`);
      if (k === '$and' || k === '$or' || k === '$nor') {
        if (!Array.isArray(v) || v.length === 0) throw badValue(`${k} must be a nonempty array`);
        for (const clause of v) validateFilter(clause);
      }
    } else validateFieldCondition(v);
  }
}

function validateFieldCondition(v: unknown): void {
  if (!isPlainObject(v)) return;
  const keys = Object.keys(v);
  if (!keys.some((k) => k.startsWith('$'))) return;
  for (const op of keys) {
    if (UNSUPPORTED_OPERATORS.has(op)) throw notImplemented(`${op} is not supported by the embedded server`);
    if (!FIELD_OPERATORS.has(op)) throw badValue(`unknown operator: ${op}`);
    const arg = v[op];
    if ((op === '$in' || op === '$nin' || op === '$all') && !Array.isArray(arg)) throw badValue(`${op} needs an array`);
    if (op === '$elemMatch') {
      if (!isPlainObject(arg)) throw badValue('$elemMatch needs an Object');
      if (Object.keys(arg).some((k) => k.startsWith('$') && !TOP_LEVEL.has(k))) validateFieldCondition(arg);
      else validateFilter(arg);
    }
    if (op === '$not') validateFieldCondition(arg);
  }
}

/** MongoDB sort semantics: the sort key of an array field is its smallest (asc) or largest (desc) element. */
export function sortDocs(docs: Doc[], spec: Doc): Doc[] {
  const keys = Object.entries(spec).map(([field, dir]) => {
    if (dir !== 1 && dir !== -1) {
      if (isPlainObject(dir) && dir.$meta !== undefined) throw notImplemented('$meta sort is not supported by the embedded server');
      throw badValue(`Illegal key in $sort specification: ${field}: ${JSON.stringify(dir)}`);
    }
    return { parts: field.split('.'), dir };
  });
  if (keys.length === 0) throw badValue('$sort specification must not be empty');
  const sortKey = (doc: Doc, parts: string[], dir: number): unknown => {
    if (parts.length === 1) {
      // Fast path for top-level scalar fields, the common case (e.g. sort by seq).
      const v = doc[parts[0] as string];
      if (!Array.isArray(v) && !isPlainObject(v)) return v ?? null;
    }
    const values = pathValues(doc, parts);
    if (values.length === 0) return null;
    let best = values[0];
    for (const v of values) if (compareValues(v, best) * dir < 0) best = v;
    return best;
  };
  // Keys are computed once per document, not once per comparison.
  const decorated = docs.map((doc, i) => ({ doc, i, k: keys.map(({ parts, dir }) => sortKey(doc, parts, dir)) }));
  decorated.sort((a, b) => {
    for (let j = 0; j < keys.length; j++) {
      const c = compareValues(a.k[j], b.k[j]);
      if (c !== 0) return c * (keys[j] as { dir: number }).dir;
    }
    return a.i - b.i;
  });
  return decorated.map((d) => d.doc);
}

/** Replaces mingo's $sort so aggregation sorts across BSON types exactly like find does. */
const sortStage = (coll: ReturnType<typeof Lazy>, spec: Doc): ReturnType<typeof Lazy> =>
  coll.transform((xs: unknown[]) => Lazy(sortDocs(xs as Doc[], spec)));

const CONTEXT = Context.init({ pipeline: { $sort: sortStage as never } });

/** Filters, projections and updates need no custom operators: mingo then skips merging contexts per call. */
export const BASE_OPTIONS: Partial<Options> = {};

export const aggregateOptions = (resolve: (name: string) => Doc[]): Partial<Options> => ({ context: CONTEXT, collectionResolver: resolve });

/** A compiled filter. Empty filters match everything without calling mingo. */
export function compileFilter(filter: unknown): (doc: Doc) => boolean {
  validateFilter(filter);
  if (!isPlainObject(filter) || Object.keys(filter).length === 0) return () => true;
  const q = wrapMingo(() => new Query(filter, BASE_OPTIONS));
  return (doc) => wrapMingo(() => q.test(doc));
}

/** Applies a find projection to already filtered documents. */
export function project(docs: Doc[], projection: Doc | undefined, filter: Doc | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0 || docs.length === 0) return docs;
  // The positional projection `arr.$` needs the query condition; otherwise skip re-filtering.
  const positional = Object.keys(projection).some((k) => k.endsWith('.$'));
  return wrapMingo(() => find(docs, positional && filter ? filter : {}, projection, BASE_OPTIONS).all() as Doc[]);
}

/** Runs mingo code and turns its errors into MongoDB-shaped ones. */
export function wrapMingo<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CommandError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw badValue(msg);
  }
}
