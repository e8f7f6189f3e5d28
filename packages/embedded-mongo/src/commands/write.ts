import { ObjectId } from 'bson';
import { idFirst, isPlainObject, type Doc } from '../bson-values.js';
import { CommandError } from '../errors.js';
import {
  applyUpdate,
  buildUpsertDoc,
  checkIdValue,
  isOperatorUpdate,
  validateUpdate,
  type UpdateContext,
} from '../update.js';
import {
  checkFields,
  DELETE_FIELDS,
  DELETE_STATEMENT_FIELDS,
  INSERT_FIELDS,
  UPDATE_FIELDS,
  UPDATE_STATEMENT_FIELDS,
} from './command-fields.js';
import { collectionName, docArray, ok, queryOptions, type Handler } from './context.js';
import { matching } from './read.js';

/** Runs each statement, collecting failures as writeErrors; ordered batches stop at the first one. */
function runBatch<T>(items: T[], ordered: boolean, each: (item: T, index: number) => void): Doc[] {
  const writeErrors: Doc[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      each(items[i] as T, i);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      writeErrors.push(err.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const withErrors = (reply: Doc, writeErrors: Doc[]): Doc =>
  ok(writeErrors.length ? { ...reply, writeErrors } : reply);

const insert: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'insert');
  const docs = docArray(cmd, 'documents');
  checkFields(cmd, 'insert', INSERT_FIELDS);
  const coll = ctx.storage.getOrCreate(ctx.db, name);
  let n = 0;
  const writeErrors = runBatch(docs, cmd.ordered !== false, (raw) => {
    if (Array.isArray(raw._id))
      throw new CommandError(53, 'InvalidIdField', `The '_id' value cannot be of type array`);
    checkIdValue(raw._id);
    const doc = idFirst(raw._id === undefined ? { _id: new ObjectId(), ...raw } : raw);
    coll.insert(doc);
    n++;
  });
  return withErrors({ n }, writeErrors);
};

interface UpdateStatement {
  q?: unknown;
  u?: unknown;
  upsert?: unknown;
  multi?: unknown;
  arrayFilters?: unknown;
  collation?: unknown;
  c?: unknown;
}

const update: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'update');
  const statements = docArray(cmd, 'updates') as UpdateStatement[];
  checkFields(cmd, 'update', UPDATE_FIELDS);
  for (const st of statements) checkFields(st as Doc, 'update.updates', UPDATE_STATEMENT_FIELDS);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const writeErrors = runBatch(statements, cmd.ordered !== false, (st, index) => {
    const filter = isPlainObject(st.q) ? st.q : {};
    const spec = validateUpdate(st.u);
    const multi = st.multi === true;
    if (multi && !Array.isArray(spec) && !isOperatorUpdate(spec)) {
      throw new CommandError(
        9,
        'FailedToParse',
        'multi update is not supported for replacement-style update',
      );
    }
    const arrayFilters = Array.isArray(st.arrayFilters) ? (st.arrayFilters as Doc[]) : undefined;
    const query = queryOptions(cmd, st);
    let docs = matching(ctx.storage.get(ctx.db, name), filter, query);
    if (!multi) docs = docs.slice(0, 1);
    if (docs.length === 0) {
      if (st.upsert !== true) return;
      const doc = buildUpsertDoc(filter, spec, arrayFilters, query.variables);
      ctx.storage.getOrCreate(ctx.db, name).insert(doc);
      n++;
      upserted.push({ index, _id: doc._id });
      return;
    }
    const coll = ctx.storage.getOrCreate(ctx.db, name);
    const uctx: UpdateContext = { filter, inserting: false };
    if (arrayFilters) uctx.arrayFilters = arrayFilters;
    if (query.variables) uctx.variables = query.variables;
    for (const doc of docs) {
      const res = applyUpdate(doc, spec, uctx);
      n++;
      if (res.modified) {
        coll.replace(doc, res.doc);
        nModified++;
      }
    }
  });
  const reply: Doc = { n, nModified };
  if (upserted.length) reply.upserted = upserted;
  return withErrors(reply, writeErrors);
};

const del: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'delete');
  const statements = docArray(cmd, 'deletes');
  checkFields(cmd, 'delete', DELETE_FIELDS);
  for (const st of statements) checkFields(st, 'delete.deletes', DELETE_STATEMENT_FIELDS);
  let n = 0;
  const writeErrors = runBatch(statements, cmd.ordered !== false, (st) => {
    const coll = ctx.storage.get(ctx.db, name);
    let docs = matching(coll, isPlainObject(st.q) ? st.q : {}, queryOptions(cmd, st));
    if (st.limit === 1) docs = docs.slice(0, 1);
    else if (st.limit !== 0 && st.limit !== undefined)
      throw new CommandError(
        9,
        'FailedToParse',
        'The limit field in delete objects must be 0 or 1',
      );
    for (const d of docs) coll?.remove(d);
    n += docs.length;
  });
  return withErrors({ n }, writeErrors);
};

export const writeCommands: Record<string, Handler> = { insert, update, delete: del };
