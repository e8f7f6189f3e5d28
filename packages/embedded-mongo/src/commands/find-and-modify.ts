import type { Doc } from '../bson-values.js';
import { CommandError } from '../errors.js';
import { project } from '../projection.js';
import { sortDocs } from '../query.js';
import { applyUpdate, buildUpsertDoc, validateUpdate, type UpdateContext } from '../update.js';
import { checkFields, FIND_AND_MODIFY_FIELDS } from './command-fields.js';
import { collectionName, optionalDoc, ok, queryOptions, type Handler } from './context.js';
import { matching } from './read.js';

/** The returned document with the `fields` projection applied. */
function shape(d: Doc | undefined, fields: Doc | undefined, filter: Doc): Doc | null {
  return d ? (project([d], fields, filter)[0] ?? null) : null;
}

/** findAndModify: one document, found, changed and returned in a single synchronous step. */
const findAndModify: Handler = (cmd, ctx) => {
  const commandName = 'findAndModify' in cmd ? 'findAndModify' : 'findandmodify';
  const name = collectionName(cmd, commandName);
  const filter = optionalDoc(cmd, 'query') ?? {};
  const sort = optionalDoc(cmd, 'sort');
  const fields = optionalDoc(cmd, 'fields');
  const remove = cmd.remove === true;
  const upsert = cmd.upsert === true;
  const returnNew = cmd.new === true;
  if (remove && cmd.update !== undefined)
    throw new CommandError(9, 'FailedToParse', 'Cannot specify both an update and remove=true');
  if (!remove && cmd.update === undefined)
    throw new CommandError(9, 'FailedToParse', 'Either an update or remove=true must be specified');
  if (remove && upsert)
    throw new CommandError(9, 'FailedToParse', 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew)
    throw new CommandError(
      9,
      'FailedToParse',
      'Cannot specify both new=true and remove=true; remove=true always returns the deleted document',
    );
  const spec = remove ? undefined : validateUpdate(cmd.update);
  const arrayFilters = Array.isArray(cmd.arrayFilters) ? (cmd.arrayFilters as Doc[]) : undefined;

  checkFields(cmd, commandName, FIND_AND_MODIFY_FIELDS);
  const query = queryOptions(cmd);
  let docs = matching(ctx.storage.get(ctx.db, name), filter, query);
  if (sort && Object.keys(sort).length > 0)
    docs = sortDocs(docs, sort, undefined, query.collation?.compare);
  const target = docs[0];

  if (remove || spec === undefined) {
    if (!target) return ok({ lastErrorObject: { n: 0 }, value: null });
    ctx.storage.get(ctx.db, name)?.remove(target);
    return ok({ lastErrorObject: { n: 1 }, value: shape(target, fields, filter) });
  }
  if (target) {
    const uctx: UpdateContext = { filter, inserting: false };
    if (arrayFilters) uctx.arrayFilters = arrayFilters;
    if (query.variables) uctx.variables = query.variables;
    const res = applyUpdate(target, spec, uctx);
    if (res.modified) ctx.storage.getOrCreate(ctx.db, name).replace(target, res.doc);
    return ok({
      lastErrorObject: { n: 1, updatedExisting: true },
      value: shape(returnNew ? res.doc : target, fields, filter),
    });
  }
  if (!upsert) return ok({ lastErrorObject: { n: 0, updatedExisting: false }, value: null });
  const doc = buildUpsertDoc(filter, spec, arrayFilters, query.variables);
  ctx.storage.getOrCreate(ctx.db, name).insert(doc);
  return ok({
    lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
    value: returnNew ? shape(doc, fields, filter) : null,
  });
};

export const findAndModifyCommands: Record<string, Handler> = {
  findAndModify,
  findandmodify: findAndModify,
};
