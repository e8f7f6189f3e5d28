import { Long } from 'bson';
import { isPlainObject, keyOf, numericValue, pathValues, type Doc } from '../bson-values.js';
import type { Collection } from '../collection.js';
import { badValue, CommandError, notImplemented } from '../errors.js';
import {
  aggregateOptions,
  compileFilter,
  compileMatcher,
  runAggregation,
  sortDocs,
  validateFilter,
  wrapMingo,
  type QueryOptions,
} from '../query.js';
import { project } from '../projection.js';
import { AGGREGATE_FIELDS, checkFields, FIND_FIELDS } from './command-fields.js';
import {
  collectionName,
  optionalDoc,
  optionalNumber,
  ok,
  queryOptions,
  type CommandContext,
  type Handler,
} from './context.js';

/** Documents of a collection matching a filter, using an index when the filter allows. */
export function matching(
  coll: Collection | undefined,
  filter: Doc | undefined,
  query: QueryOptions = {},
): Doc[] {
  validateFilter(filter);
  if (!coll) {
    compileMatcher(filter, query, true); // a filter mingo cannot compile fails even on a missing collection
    return [];
  }
  // The indexes hold binary keys: under a collation every document is a candidate.
  if (query.collation) return [...coll.docs.values()].filter(compileMatcher(filter, query, true));
  const { docs, exact } = coll.candidates(filter);
  // An exact index answer needs no matcher: skip compiling one (the batched lookups).
  return exact ? docs : docs.filter(compileFilter(filter, true, query.variables));
}

const find: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'find');
  const filter = optionalDoc(cmd, 'filter');
  const sort = optionalDoc(cmd, 'sort');
  const projection = optionalDoc(cmd, 'projection');
  const skip = optionalNumber(cmd, 'skip') ?? 0;
  const limit = optionalNumber(cmd, 'limit') ?? 0;
  const batchSize = optionalNumber(cmd, 'batchSize');
  if (skip < 0) throw badValue('skip value must be non-negative');
  if (batchSize !== undefined && batchSize < 0)
    throw badValue('batchSize value must be non-negative');
  checkFields(cmd, 'find', FIND_FIELDS);
  const query = queryOptions(cmd);
  const coll = ctx.storage.get(ctx.db, name);
  const hasSort = sort !== undefined && Object.keys(sort).length > 0;
  // sort + limit along a two-field index walks only what it returns; else filter, then sort.
  let docs =
    coll && hasSort && limit !== 0 && !query.collation
      ? coll.orderedScan(filter, sort, skip + Math.abs(limit), compileMatcher(filter, query))
      : undefined;
  if (!docs) {
    docs = matching(coll, filter, query);
    if (hasSort)
      docs = sortDocs(
        docs,
        sort,
        limit !== 0 ? skip + Math.abs(limit) : undefined,
        query.collation?.compare,
      );
  }
  if (skip > 0 || limit !== 0)
    docs = docs.slice(skip, limit !== 0 ? skip + Math.abs(limit) : undefined);
  // A negative limit means "one batch, then close", like the legacy OP_QUERY semantics.
  const singleBatch = cmd.singleBatch === true || limit < 0;
  const cursor = ctx.cursors.open(`${ctx.db}.${name}`, docs, batchSize, singleBatch, (batch) =>
    project(batch, projection, filter),
  );
  return ok({ cursor });
};

const cursorId = (v: unknown): number => {
  const n = numericValue(v);
  if (n === undefined) throw new CommandError(14, 'TypeMismatch', 'cursor id must be a long');
  return n;
};

const getMore: Handler = (cmd, ctx) => {
  const id = cursorId(cmd.getMore);
  const cursor = ctx.cursors.get(id);
  if (!cursor) throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
  const batchSize = optionalNumber(cmd, 'batchSize');
  return ok({ cursor: ctx.cursors.next(cursor, batchSize) });
};

const killCursors: Handler = (cmd, ctx) => {
  collectionName(cmd, 'killCursors');
  const ids = Array.isArray(cmd.cursors) ? cmd.cursors.map(cursorId) : [];
  const killed = ids.filter((id) => ctx.cursors.kill(id));
  const notFound = ids.filter((id) => !killed.includes(id));
  const asLongs = (xs: number[]): Long[] => xs.map((x) => Long.fromNumber(x));
  return ok({
    cursorsKilled: asLongs(killed),
    cursorsNotFound: asLongs(notFound),
    cursorsAlive: [],
    cursorsUnknown: [],
  });
};

const count: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'count');
  const docs = matching(
    ctx.storage.get(ctx.db, name),
    optionalDoc(cmd, 'query'),
    queryOptions(cmd),
  );
  const skip = Math.max(0, optionalNumber(cmd, 'skip') ?? 0);
  const limit = Math.abs(optionalNumber(cmd, 'limit') ?? 0);
  const n = Math.max(0, docs.length - skip);
  return ok({ n: limit > 0 ? Math.min(limit, n) : n });
};

const distinct: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'distinct');
  const key = cmd.key;
  if (typeof key !== 'string' || key === '')
    throw new CommandError(14, 'TypeMismatch', "BSON field 'distinct.key' must be a string");
  const query = queryOptions(cmd);
  // Distinct values under a collation (which of "a" and "A" is kept) are not implemented.
  if (query.collation)
    throw notImplemented('distinct with a collation is not supported by the embedded server');
  const parts = key.split('.');
  const seen = new Map<string, unknown>();
  for (const doc of matching(ctx.storage.get(ctx.db, name), optionalDoc(cmd, 'query'), query)) {
    for (const v of pathValues(doc, parts))
      if (v !== undefined && !seen.has(keyOf(v))) seen.set(keyOf(v), v);
  }
  return ok({ values: [...seen.values()] });
};

const SUPPORTED_STAGES = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$count',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$graphLookup',
  '$group',
  '$limit',
  '$lookup',
  '$match',
  '$project',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$set',
  '$setWindowFields',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
]);
const KNOWN_UNSUPPORTED = new Set([
  '$out',
  '$merge',
  '$geoNear',
  '$search',
  '$searchMeta',
  '$vectorSearch',
  '$changeStream',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
  '$listSearchIndexes',
]);

function validatePipeline(pipeline: unknown): Doc[] {
  if (!Array.isArray(pipeline))
    throw new CommandError(14, 'TypeMismatch', "'pipeline' option must be specified as an array");
  for (const stage of pipeline) {
    const keys = isPlainObject(stage) ? Object.keys(stage) : [];
    if (keys.length !== 1)
      throw new CommandError(
        40323,
        'Location40323',
        'A pipeline stage specification object must contain exactly one field.',
      );
    const op = keys[0] as string;
    if (KNOWN_UNSUPPORTED.has(op))
      throw notImplemented(`${op} is not supported by the embedded server`);
    if (!SUPPORTED_STAGES.has(op))
      throw new CommandError(40324, 'Location40324', `Unrecognized pipeline stage name: '${op}'`);
    const arg = (stage as Doc)[op];
    if (op === '$match') validateFilter(arg);
    if (op === '$facet' && isPlainObject(arg))
      for (const sub of Object.values(arg)) validatePipeline(sub);
    if (
      (op === '$lookup' || op === '$unionWith') &&
      isPlainObject(arg) &&
      arg.pipeline !== undefined
    )
      validatePipeline(arg.pipeline);
  }
  return pipeline as Doc[];
}

/**
 * Stages whose result a collation cannot change, or that apply it ($match, $sort): with a
 * collation any other stage (a $group on strings, a $lookup, string expressions) is refused.
 */
const COLLATION_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$unset']);
const collationSafe = (stage: Doc): boolean => {
  const op = Object.keys(stage)[0] as string;
  if (COLLATION_STAGES.has(op)) return true;
  const arg = stage[op];
  // countDocuments' `{ $group: { _id: 1, n: { $sum: 1 } } }`: no string is compared.
  if (op === '$group' && isPlainObject(arg))
    return Object.entries(arg).every(([k, v]) =>
      k === '_id'
        ? v === null || typeof v === 'number'
        : isPlainObject(v) && Object.keys(v).length === 1 && typeof v.$sum === 'number',
    );
  return (
    op === '$project' &&
    isPlainObject(arg) &&
    Object.values(arg).every((v) => v === 0 || v === 1 || v === true || v === false)
  );
};

function runAggregate(cmd: Doc, ctx: CommandContext): Doc {
  checkFields(cmd, 'aggregate', AGGREGATE_FIELDS);
  const pipeline = validatePipeline(cmd.pipeline);
  const query = queryOptions(cmd);
  if (query.collation) {
    const stage = pipeline.find((s) => !collationSafe(s));
    if (stage)
      throw notImplemented(
        `${Object.keys(stage)[0]} with a collation is not supported by the embedded server`,
      );
  }
  const cursorOpt = optionalDoc(cmd, 'cursor');
  if (!cursorOpt && cmd.explain !== true) {
    throw new CommandError(
      9,
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  if (cmd.explain === true) throw notImplemented('explain is not supported by the embedded server');
  let input: Doc[] = [];
  let ns = `${ctx.db}.$cmd.aggregate`;
  if (typeof cmd.aggregate === 'string') {
    const coll = ctx.storage.get(ctx.db, cmd.aggregate);
    ns = `${ctx.db}.${cmd.aggregate}`;
    const first = pipeline[0];
    // A leading $match can use an index; mingo still applies the full $match afterwards.
    input = coll
      ? first && isPlainObject(first.$match) && !query.collation
        ? coll.candidates(first.$match).docs
        : [...coll.docs.values()]
      : [];
  } else if (cmd.aggregate !== 1) {
    throw new CommandError(73, 'InvalidNamespace', 'aggregate needs a collection name or 1');
  }
  const resolve = (name: string): Doc[] => [
    ...(ctx.storage.get(ctx.db, name)?.docs.values() ?? []),
  ];
  const out = wrapMingo(() => runAggregation(input, pipeline, aggregateOptions(resolve, query)));
  const batchSize = cursorOpt ? optionalNumber(cursorOpt, 'batchSize') : undefined;
  return ok({ cursor: ctx.cursors.open(ns, out, batchSize, false) });
}

export const readCommands: Record<string, Handler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate: runAggregate,
};
