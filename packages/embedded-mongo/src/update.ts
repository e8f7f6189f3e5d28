import { ObjectId } from 'bson';
import { update as mingoUpdate } from 'mingo';
import type { Modifier } from 'mingo/updater';
import {
  cloneDoc,
  idFirst,
  isPlainObject,
  keyOf,
  sameKey,
  setPath,
  type Doc,
} from './bson-values.js';
import { CommandError, failedToParse } from './errors.js';
import { fastPipeline } from './fast-pipeline.js';
import { fastUpdate } from './fast-update.js';
import { runUpdatePipeline } from './mingo-options.js';
import { BASE_OPTIONS, validateFilter, wrapMingo } from './query.js';

const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$push',
  '$pull',
  '$pullAll',
  '$addToSet',
  '$pop',
  '$rename',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);
const PIPELINE_UPDATE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

export type UpdateSpec = Doc | Doc[];

export interface UpdateContext {
  filter: Doc;
  arrayFilters?: Doc[];
  /** True when the update builds a new (upserted) document: $setOnInsert applies. */
  inserting: boolean;
  /** The command's `let`: `$$name` in pipeline updates. */
  variables?: Doc;
}

export const isOperatorUpdate = (u: Doc): boolean => Object.keys(u).some((k) => k.startsWith('$'));

/** Validates an update spec up front so bad input fails before any document is touched. */
export function validateUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) {
    for (const stage of u) {
      const op = isPlainObject(stage) ? Object.keys(stage) : [];
      if (op.length !== 1 || !PIPELINE_UPDATE_STAGES.has(op[0] as string)) {
        throw new CommandError(
          72,
          'InvalidOptions',
          `Invalid update pipeline stage: ${JSON.stringify(op)}; only $addFields, $set, $project, $unset, $replaceRoot and $replaceWith are allowed`,
        );
      }
    }
    return u as Doc[];
  }
  if (!isPlainObject(u))
    throw new CommandError(14, 'TypeMismatch', 'update must be an object or an array');
  if (isOperatorUpdate(u)) {
    const paths: string[] = [];
    for (const [op, arg] of Object.entries(u)) {
      if (!UPDATE_OPERATORS.has(op)) {
        throw failedToParse(
          `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
        );
      }
      if (!isPlainObject(arg))
        throw failedToParse(`Modifiers operate on fields but we found type ${typeof arg} instead.`);
      paths.push(...Object.keys(arg));
      if (op === '$rename') paths.push(...Object.values(arg).map(String));
    }
    checkConflicts(paths);
  } else {
    // Top-level dotted field names in a replacement are valid since MongoDB 5.0; only `_id`
    // keeps its rule.
    checkIdValue(u._id);
  }
  return u;
}

/** MongoDB 7.0's storage rule for `_id`: no `$`-prefixed field names inside it (code 52). */
export function checkIdValue(id: unknown): void {
  if (!isPlainObject(id)) return;
  for (const [k, v] of Object.entries(id)) {
    if (k.startsWith('$'))
      throw new CommandError(
        52,
        'DollarPrefixedFieldName',
        `_id fields may not contain '$'-prefixed fields: ${k} is not valid for storage.`,
      );
    checkIdValue(v);
  }
}

/** MongoDB refuses two operators touching the same path or a path and its prefix. */
function checkConflicts(paths: string[]): void {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as string;
    const cur = sorted[i] as string;
    if (cur === prev || cur.startsWith(prev + '.')) {
      throw new CommandError(
        40,
        'ConflictingUpdateOperators',
        `Updating the path '${cur}' would create a conflict at '${prev}'`,
      );
    }
  }
}

/** Applies an update to a copy of `doc`; the stored document is left untouched. */
export function applyUpdate(
  doc: Doc,
  u: UpdateSpec,
  ctx: UpdateContext,
): { doc: Doc; modified: boolean } {
  if (Array.isArray(u)) {
    // The batched seq allocation's shape runs without mingo. Otherwise $set/$addFields of
    // top-level fields copy the root and assign to the copy: the stored document needs no deep
    // copy (unchanged fields are shared, as with fastUpdate).
    const vars = ctx.variables;
    let out =
      (vars === undefined ? fastPipeline(doc, u) : undefined) ??
      wrapMingo(() => runUpdatePipeline(u.every(setsTopLevelOnly) ? doc : cloneDoc(doc), u, vars));
    if (out._id === undefined && doc._id !== undefined) out = { ...out, _id: doc._id };
    const next = idFirst(out);
    return { doc: next, modified: !sameKey(next, doc) };
  }
  if (!isOperatorUpdate(u)) {
    const next = idFirst(cloneDoc({ ...u, _id: u._id ?? doc._id }));
    return { doc: next, modified: !sameKey(next, doc) };
  }
  const ops: Doc = {};
  for (const [op, arg] of Object.entries(u)) {
    if (op === '$setOnInsert') {
      if (ctx.inserting) ops.$set = { ...(ops.$set as Doc | undefined), ...(arg as Doc) };
    } else if (op === '$set') ops.$set = { ...(ops.$set as Doc | undefined), ...(arg as Doc) };
    else ops[op] = arg;
  }
  if (Object.keys(ops).length === 0) return { doc: cloneDoc(doc), modified: false };
  // Plain $set/$inc/$max... need no mingo; positional/array updates (arrayFilters) always do.
  const fast = ctx.arrayFilters ? undefined : fastUpdate(doc, ops);
  if (fast) return { doc: idFirst(fast.doc), modified: fast.modified };
  const copy = cloneDoc(doc);
  const fields = wrapMingo(() =>
    mingoUpdate(
      copy,
      ops as Modifier<Doc>,
      ctx.arrayFilters ?? [],
      ctx.inserting ? {} : ctx.filter,
      { queryOptions: BASE_OPTIONS },
    ),
  );
  return { doc: idFirst(copy), modified: fields.length > 0 };
}

/** A `$set`/`$addFields` stage whose field names are all top-level (no dotted paths). */
function setsTopLevelOnly(stage: Doc): boolean {
  const fields = stage.$set ?? stage.$addFields;
  return isPlainObject(fields) && Object.keys(fields).every((f) => !f.includes('.'));
}

/** Copies the equality conditions of a filter into a new document, as MongoDB does for upserts. */
export function upsertBase(filter: Doc): Doc {
  validateFilter(filter);
  const out: Doc = {};
  const visit = (f: Doc): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const clause of v) if (isPlainObject(clause)) visit(clause);
      } else if (k.startsWith('$')) continue;
      else if (isPlainObject(v) && isOperatorUpdate(v)) {
        if ('$eq' in v) setPath(out, k, cloneDoc(v.$eq));
      } else setPath(out, k, cloneDoc(v));
    }
  };
  visit(filter);
  return out;
}

/** Builds the document an upsert inserts. */
export function buildUpsertDoc(
  filter: Doc,
  u: UpdateSpec,
  arrayFilters: Doc[] | undefined,
  variables?: Doc,
): Doc {
  const base = upsertBase(filter);
  let doc: Doc;
  if (!Array.isArray(u) && !isOperatorUpdate(u)) {
    doc = cloneDoc(u);
    if (doc._id === undefined && base._id !== undefined) doc._id = base._id;
  } else {
    const ctx: UpdateContext = { filter, inserting: true };
    if (arrayFilters) ctx.arrayFilters = arrayFilters;
    if (variables) ctx.variables = variables;
    doc = applyUpdate(base, u, ctx).doc;
  }
  checkIdValue(doc._id);
  if (doc._id === undefined) doc._id = new ObjectId();
  else if (base._id !== undefined && keyOf(base._id) !== keyOf(doc._id)) {
    throw new CommandError(
      66,
      'ImmutableField',
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
  }
  return idFirst(doc);
}
