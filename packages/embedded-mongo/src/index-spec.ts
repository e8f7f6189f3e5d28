import { keyOf, type Doc } from './bson-values.js';
import { parseCollation } from './collation.js';
import { CommandError, notImplemented } from './errors.js';
import type { IndexSpec } from './indexes.js';

/* createIndexes specs as the commands take them, and the listIndexes documents they answer. */

const KNOWN_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'v',
  'background',
  'ns',
]);

/** Validates one element of createIndexes.indexes and normalizes it. */
export function parseIndexSpec(raw: unknown): IndexSpec {
  if (typeof raw !== 'object' || raw === null)
    throw new CommandError(9, 'FailedToParse', 'index spec must be an object');
  const r = raw as Doc;
  const key = r.key;
  if (typeof key !== 'object' || key === null || Object.keys(key).length === 0) {
    throw new CommandError(67, 'CannotCreateIndex', 'Index keys cannot be empty.');
  }
  for (const [f, dir] of Object.entries(key as Doc)) {
    if (dir !== 1 && dir !== -1) {
      throw new CommandError(
        238,
        'NotImplemented',
        `index type ${JSON.stringify(dir)} on field '${f}' is not supported by the embedded server`,
      );
    }
  }
  if (typeof r.name !== 'string' || r.name === '')
    throw new CommandError(9, 'FailedToParse', 'index name must be a non-empty string');
  // Unique checks and lookups compare binary keys: a collated index would answer differently.
  if (parseCollation(r.collation))
    throw notImplemented('indexes with a collation are not supported by the embedded server');
  const extra: Doc = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN_OPTIONS.has(k)) extra[k] = v;
  const spec: IndexSpec = {
    name: r.name,
    key: { ...(key as Doc) },
    unique: r.unique === true,
    sparse: r.sparse === true,
    extra,
  };
  if (r.partialFilterExpression !== undefined)
    spec.partialFilterExpression = r.partialFilterExpression as Doc;
  if (typeof r.expireAfterSeconds === 'number') spec.expireAfterSeconds = r.expireAfterSeconds;
  return spec;
}

/** The listIndexes document for a spec. */
export function describeIndex(spec: IndexSpec): Doc {
  const d: Doc = { v: 2, key: spec.key, name: spec.name };
  if (spec.unique && spec.name !== '_id_') d.unique = true;
  if (spec.sparse) d.sparse = true;
  if (spec.partialFilterExpression) d.partialFilterExpression = spec.partialFilterExpression;
  if (spec.expireAfterSeconds !== undefined) d.expireAfterSeconds = spec.expireAfterSeconds;
  return { ...d, ...spec.extra };
}

export const sameIndexOptions = (a: IndexSpec, b: IndexSpec): boolean =>
  a.unique === b.unique &&
  a.sparse === b.sparse &&
  keyOf(a.partialFilterExpression) === keyOf(b.partialFilterExpression) &&
  a.expireAfterSeconds === b.expireAfterSeconds;
