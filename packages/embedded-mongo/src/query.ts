import { Context } from 'mingo';
import { Lazy } from 'mingo/lazy';
import { Aggregator } from 'mingo/aggregator';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import { $match } from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query as CoreQuery } from 'mingo/query';
import type { Options } from 'mingo/types';
import { compareValues, isPlainObject, pathValues, type Doc } from './bson-values.js';
import { compileCollatedFilter, parseCollation, type Collation } from './collation.js';
import { badValue, CommandError, notImplemented } from './errors.js';
import { compileFastFilter } from './fast-filter.js';
import { newQuery } from './mingo-options.js';

const FIELD_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$regex',
  '$options',
  '$mod',
  '$all',
  '$elemMatch',
  '$size',
  '$not',
  '$bitsAllSet',
  '$bitsAllClear',
  '$bitsAnySet',
  '$bitsAnyClear',
]);
const UNSUPPORTED_OPERATORS = new Set([
  '$text',
  '$near',
  '$nearSphere',
  '$geoWithin',
  '$geoIntersects',
  '$within',
  '$where',
  '$jsonSchema',
]);
const TOP_LEVEL = new Set(['$and', '$or', '$nor', '$expr', '$comment']);

/** Rejects operators MongoDB would reject (BadValue) or that we cannot evaluate (NotImplemented). */
export function validateFilter(filter: unknown): void {
  if (filter === undefined || filter === null) return;
  if (!isPlainObject(filter))
    throw new CommandError(14, 'TypeMismatch', 'filter must be an object');
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$')) {
      if (UNSUPPORTED_OPERATORS.has(k))
        throw notImplemented(`${k} is not supported by the embedded server`);
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
    if (UNSUPPORTED_OPERATORS.has(op))
      throw notImplemented(`${op} is not supported by the embedded server`);
    if (!FIELD_OPERATORS.has(op)) throw badValue(`unknown operator: ${op}`);
    const arg = v[op];
    if ((op === '$in' || op === '$nin' || op === '$all') && !Array.isArray(arg))
      throw badValue(`${op} needs an array`);
    if (op === '$elemMatch') {
      if (!isPlainObject(arg)) throw badValue('$elemMatch needs an Object');
      if (Object.keys(arg).some((k) => k.startsWith('$') && !TOP_LEVEL.has(k)))
        validateFieldCondition(arg);
      else validateFilter(arg);
    }
    if (op === '$not') validateFieldCondition(arg);
  }
}

/** MongoDB sort semantics: the sort key of an array field is its smallest (asc) or largest (desc) element. */
export function sortDocs(
  docs: Doc[],
  spec: Doc,
  top?: number,
  compare: (a: unknown, b: unknown) => number = compareValues,
): Doc[] {
  const keys = Object.entries(spec).map(([field, dir]) => {
    if (dir !== 1 && dir !== -1) {
      if (isPlainObject(dir) && dir.$meta !== undefined)
        throw notImplemented('$meta sort is not supported by the embedded server');
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
    for (const v of values) if (compare(v, best) * dir < 0) best = v;
    return best;
  };
  // Keys are computed once per document, not once per comparison.
  const decorated = docs.map((doc, i) => ({
    doc,
    i,
    k: keys.map(({ parts, dir }) => sortKey(doc, parts, dir)),
  }));
  type Decorated = (typeof decorated)[number];
  const order = (a: Decorated, b: Decorated): number => {
    for (let j = 0; j < keys.length; j++) {
      const c = compare(a.k[j], b.k[j]);
      if (c !== 0) return c * (keys[j] as { dir: number }).dir;
    }
    return a.i - b.i;
  };
  if (top !== undefined && top * 4 < decorated.length) {
    // sort + small limit over many documents (a history page of a long conversation): keep
    // only the best `top` in a sorted window instead of sorting everything. Same order,
    // ties still broken by original position.
    const best: Decorated[] = [];
    for (const d of decorated) {
      if (best.length === top && order(d, best[top - 1] as Decorated) >= 0) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (order(best[mid] as Decorated, d) <= 0) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, d);
      if (best.length > top) best.pop();
    }
    return best.map((d) => d.doc);
  }
  decorated.sort(order);
  return decorated.map((d) => d.doc);
}

/**
 * Replaces mingo's $sort so aggregation sorts across BSON types exactly like find does (and
 * with the command's collation, which mingo hands to every stage in its options).
 */
const sortStage = (
  coll: ReturnType<typeof Lazy>,
  spec: Doc,
  options: Options,
): ReturnType<typeof Lazy> =>
  coll.transform((xs: unknown[]) => {
    const collation = parseCollation(options.collation);
    return Lazy(sortDocs(xs as Doc[], spec, undefined, collation?.compare));
  });

/** mingo's $match, or the collated matcher when the command has a collation. */
const matchStage = (
  coll: ReturnType<typeof Lazy>,
  expr: Doc,
  options: Options,
): ReturnType<typeof Lazy> => {
  const collation = parseCollation(options.collation);
  if (!collation) return $match(coll, expr, options);
  const test = compileCollatedFilter(expr, collation, (f) => {
    const q = new CoreQuery(f, options);
    return (doc) => q.test(doc);
  });
  return coll.filter((doc) => test(doc as Doc));
};

/**
 * Every mingo operator, with our $sort and $match in place of mingo's. Built whole here: mingo's
 * top-level `aggregate` merges a custom context *under* its defaults (its `addOps` keeps the
 * operators already present), so a custom $sort handed to it was never used.
 */
const CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: { ...pipelineOperators, $sort: sortStage as never, $match: matchStage as never },
  projection: projectionOperators,
  query: queryOperators,
  window: windowOperators,
});

/** Runs a (validated) pipeline with this server's operators. */
export const runAggregation = (input: Doc[], pipeline: Doc[], options: Partial<Options>): Doc[] =>
  new Aggregator(pipeline, options).run(input) as Doc[];

/** Filters, projections and updates need no custom operators: mingo then skips merging contexts per call. */
export const BASE_OPTIONS: Partial<Options> = {};

export const aggregateOptions = (
  resolve: (name: string) => Doc[],
  query: QueryOptions = {},
): Partial<Options> => ({
  context: CONTEXT,
  collectionResolver: resolve,
  ...(query.variables ? { variables: query.variables } : {}),
  ...(query.collationSpec ? { collation: query.collationSpec as never } : {}),
});

/** What a command's `let` and `collation` change about how filters and sorts evaluate. */
export interface QueryOptions {
  /** `let`: `$$name` variables for `$expr` and pipeline expressions. */
  variables?: Doc;
  collation?: Collation;
  /** The raw collation document (aggregate hands it to its stages). */
  collationSpec?: Doc;
}

/**
 * A matcher for the filter under the command's options: the collated matcher when a collation
 * applies, else compileFilter. `validated`: validateFilter already passed.
 */
export function compileMatcher(
  filter: Doc | undefined,
  query: QueryOptions,
  validated = false,
): (doc: Doc) => boolean {
  if (!validated) validateFilter(filter);
  if (!query.collation) return compileFilter(filter, true, query.variables);
  return compileCollatedFilter(filter, query.collation, (f) =>
    compileFilter(f, true, query.variables),
  );
}

/**
 * A compiled filter (`validated`: validateFilter already passed). Empty filters match everything
 * without calling mingo. With `variables` (a `let`) mingo evaluates it, so `$$name` resolves.
 */
export function compileFilter(
  filter: unknown,
  validated = false,
  variables?: Doc,
): (doc: Doc) => boolean {
  if (!validated) validateFilter(filter);
  if (!isPlainObject(filter) || Object.keys(filter).length === 0) return () => true;
  const fast = variables === undefined ? compileFastFilter(filter) : undefined;
  if (!fast) {
    const q = wrapMingo(() => newQuery(filter, variables));
    return (doc) => wrapMingo(() => q.test(doc));
  }
  // Mingo only for the documents the fast matcher declines (array or embedded-document fields).
  // (No named closure here: tsx wraps each one it creates in a defineProperty call.)
  let q: ReturnType<typeof newQuery> | undefined;
  return (doc) => {
    const r = fast(doc);
    if (r !== undefined) return r;
    q ??= wrapMingo(() => newQuery(filter));
    const query = q;
    return wrapMingo(() => query.test(doc));
  };
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
