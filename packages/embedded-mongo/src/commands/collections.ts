import { isPlainObject, keyOf, type Doc } from '../bson-values.js';
import { CommandError, namespaceNotFound, notImplemented } from '../errors.js';
import { describeIndex, parseIndexSpec } from '../index-spec.js';
import { compileFilter } from '../query.js';
import { collectionName, optionalDoc, optionalNumber, ok, type Handler } from './context.js';

const ID_INDEX_DOC = { v: 2, key: { _id: 1 }, name: '_id_' };

const listCollections: Handler = (cmd, ctx) => {
  const match = compileFilter(optionalDoc(cmd, 'filter'));
  const nameOnly = cmd.nameOnly === true;
  const infos: Doc[] = ctx.storage
    .collections(ctx.db)
    .map((c): Doc => ({
      name: c.name,
      type: 'collection',
      options: {},
      info: { readOnly: false },
      idIndex: ID_INDEX_DOC,
    }))
    .filter((d) => match(d))
    .map((d) => (nameOnly ? { name: d.name, type: d.type } : d));
  const batchSize = optionalNumber(optionalDoc(cmd, 'cursor') ?? {}, 'batchSize');
  return ok({
    cursor: ctx.cursors.open(`${ctx.db}.$cmd.listCollections`, infos, batchSize, false),
  });
};

const create: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'create');
  if (ctx.storage.get(ctx.db, name)) {
    throw new CommandError(48, 'NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  }
  if (cmd.capped === true || cmd.viewOn !== undefined || cmd.timeseries !== undefined) {
    throw new CommandError(
      238,
      'NotImplemented',
      'capped collections, views and time series are not supported by the embedded server',
    );
  }
  ctx.storage.getOrCreate(ctx.db, name);
  return ok();
};

const drop: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'drop');
  const coll = ctx.storage.get(ctx.db, name);
  const nIndexesWas = coll?.indexes.size ?? 0;
  ctx.storage.drop(ctx.db, name);
  return ok({ ns: `${ctx.db}.${name}`, nIndexesWas });
};

const createIndexes: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'createIndexes');
  const raw = cmd.indexes;
  if (!Array.isArray(raw) || raw.length === 0)
    throw new CommandError(2, 'BadValue', 'Must specify at least one index to create');
  const specs = raw.map(parseIndexSpec);
  const existed = ctx.storage.get(ctx.db, name) !== undefined;
  const coll = ctx.storage.getOrCreate(ctx.db, name);
  const numIndexesBefore = coll.indexes.size;
  let created = 0;
  for (const spec of specs) if (coll.createIndex(spec)) created++;
  const reply: Doc = {
    numIndexesBefore,
    numIndexesAfter: coll.indexes.size,
    createdCollectionAutomatically: !existed,
  };
  if (created === 0) reply.note = 'all indexes already exist';
  return ok(reply);
};

const listIndexes: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'listIndexes');
  const coll = ctx.storage.get(ctx.db, name);
  if (!coll) throw namespaceNotFound(`${ctx.db}.${name}`);
  const docs = [...coll.indexes.values()].map((ix) => describeIndex(ix.spec));
  const batchSize = optionalNumber(optionalDoc(cmd, 'cursor') ?? {}, 'batchSize');
  return ok({ cursor: ctx.cursors.open(coll.ns, docs, batchSize, false) });
};

const dropIndexes: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'dropIndexes');
  const coll = ctx.storage.get(ctx.db, name);
  if (!coll) throw namespaceNotFound(`${ctx.db}.${name}`);
  const nIndexesWas = coll.indexes.size;
  const target = cmd.index;
  let names: string[];
  if (target === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
  else if (typeof target === 'string') names = [target];
  else if (Array.isArray(target)) names = target.map(String);
  else if (isPlainObject(target)) {
    const found = [...coll.indexes.values()].find((ix) => keyOf(ix.spec.key) === keyOf(target));
    if (!found)
      throw new CommandError(
        27,
        'IndexNotFound',
        `can't find index with key: ${JSON.stringify(target)}`,
      );
    names = [found.spec.name];
  } else
    throw new CommandError(
      14,
      'TypeMismatch',
      'index must be a string, an array of strings or a key pattern',
    );
  for (const n of names) {
    if (n === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.has(n))
      throw new CommandError(27, 'IndexNotFound', `index not found with name [${n}]`);
  }
  for (const n of names) coll.dropIndex(n);
  return ok({ nIndexesWas });
};

const collStats: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'collStats');
  const coll = ctx.storage.get(ctx.db, name);
  if (!coll) throw namespaceNotFound(`${ctx.db}.${name}`);
  return ok({
    ns: coll.ns,
    count: coll.docs.size,
    size: 0,
    storageSize: 0,
    nindexes: coll.indexes.size,
  });
};

/**
 * collMod: the TTL of an index (`index: { name | keyPattern, expireAfterSeconds }`), the one
 * change an application makes at runtime. Validators, views, `hidden`, `prepareUnique` and the
 * other options answer NotImplemented.
 */
const collMod: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'collMod');
  const coll = ctx.storage.get(ctx.db, name);
  if (!coll) throw namespaceNotFound(`${ctx.db}.${name}`);
  const reply: Doc = {};
  for (const field of Object.keys(cmd)) {
    if (field === 'collMod' || field.startsWith('$') || GENERIC_FIELDS.has(field)) continue;
    if (field !== 'index')
      throw notImplemented(`collMod ${field} is not supported by the embedded server`);
    const spec = optionalDoc(cmd, 'index') ?? {};
    for (const option of Object.keys(spec))
      if (!['name', 'keyPattern', 'expireAfterSeconds'].includes(option))
        throw notImplemented(`collMod index.${option} is not supported by the embedded server`);
    const target = [...coll.indexes.values()].find((ix) =>
      typeof spec.name === 'string'
        ? ix.spec.name === spec.name
        : isPlainObject(spec.keyPattern) && keyOf(ix.spec.key) === keyOf(spec.keyPattern),
    );
    if (!target) throw new CommandError(27, 'IndexNotFound', 'cannot find index for collMod');
    if (spec.expireAfterSeconds !== undefined) {
      const seconds = spec.expireAfterSeconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
        throw new CommandError(2, 'BadValue', 'expireAfterSeconds must be a non-negative number');
      if (target.spec.expireAfterSeconds === undefined)
        throw new CommandError(72, 'InvalidOptions', 'no expireAfterSeconds field to update');
      reply.expireAfterSeconds_old = target.spec.expireAfterSeconds;
      reply.expireAfterSeconds_new = seconds;
      target.spec.expireAfterSeconds = seconds;
      coll.optionsChanged();
    }
  }
  return ok(reply);
};

const GENERIC_FIELDS = new Set(['writeConcern', 'comment', 'maxTimeMS', 'lsid', 'txnNumber']);

export const collectionCommands: Record<string, Handler> = {
  collMod,
  listCollections,
  create,
  drop,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: (cmd, ctx) => dropIndexes({ ...cmd, dropIndexes: cmd.deleteIndexes }, ctx),
  collStats,
};
