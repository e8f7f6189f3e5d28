import { compareValues, isPlainObject, typeRank, type Doc } from './bson-values.js';

/**
 * A matcher for the filters hot paths send (top-level fields compared with scalars), built
 * without mingo: creating a mingo Query initializes its operator context on every call, which
 * showed up as ~15 % of the server's CPU under chat load. Anything outside the shapes below
 * (dotted paths, arrays or documents in the filter or in the stored field, regexes, $nor...)
 * returns undefined and the caller uses mingo, so semantics never depend on this file alone.
 */
export type FastMatch = (doc: Doc) => boolean | undefined;

type Test = (value: unknown, present: boolean) => boolean;

/** Scalars whose MongoDB equality and order compareValues reproduces exactly. */
function isScalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return !Number.isNaN(v);
    case 'object':
      if (v === null || Array.isArray(v) || isPlainObject(v) || v instanceof RegExp) return false;
      if (v instanceof Date) return true;
      return (v as { _bsontype?: string })._bsontype === 'ObjectId';
    default:
      return false;
  }
}

/** Same type bracket and equal (1 == 1.0; an ObjectId equals only an ObjectId). */
const equals = (a: unknown, b: unknown): boolean =>
  typeRank(a) === typeRank(b) && compareValues(a, b) === 0;

/** Range operators only match values of the argument's type bracket, as in MongoDB. */
function range(arg: unknown, accept: (c: number) => boolean): Test {
  const rank = typeRank(arg);
  return (value, present) =>
    present && value !== null && typeRank(value) === rank && accept(compareValues(value, arg));
}

function operatorTest(op: string, arg: unknown): Test | undefined {
  switch (op) {
    case '$eq':
      return isScalar(arg) ? (v, present) => present && equals(v, arg) : undefined;
    case '$ne':
      // Missing and null fields are "not equal" to a scalar.
      return isScalar(arg) ? (v, present) => !present || !equals(v, arg) : undefined;
    case '$gt':
      return isScalar(arg) ? range(arg, (c) => c > 0) : undefined;
    case '$gte':
      return isScalar(arg) ? range(arg, (c) => c >= 0) : undefined;
    case '$lt':
      return isScalar(arg) ? range(arg, (c) => c < 0) : undefined;
    case '$lte':
      return isScalar(arg) ? range(arg, (c) => c <= 0) : undefined;
    case '$in':
      if (!Array.isArray(arg) || !arg.every(isScalar)) return undefined;
      return (v, present) => present && arg.some((x) => equals(v, x));
    case '$type':
      // The alias partial indexes use (`{ clientMsgId: { $type: 'string' } }`); others are mingo's.
      if (arg !== 'string' && arg !== 2) return undefined;
      return (v, present) => present && typeof v === 'string';
    case '$exists':
      if (typeof arg !== 'boolean') return undefined;
      return (_v, present) => present === arg;
    default:
      return undefined;
  }
}

function fieldTest(cond: unknown): Test | undefined {
  if (isPlainObject(cond)) {
    const ops = Object.keys(cond);
    if (ops.length === 0 || !ops.every((k) => k.startsWith('$'))) return undefined;
    const tests: Test[] = [];
    for (const op of ops) {
      const t = operatorTest(op, cond[op]);
      if (!t) return undefined;
      tests.push(t);
    }
    return tests.length === 1
      ? (tests[0] as Test)
      : (v, present) => tests.every((t) => t(v, present));
  }
  return isScalar(cond) ? (v, present) => present && equals(v, cond) : undefined;
}

/** Compiles a fast matcher, or undefined when the filter has a shape it does not cover. */
export function compileFastFilter(filter: Doc): FastMatch | undefined {
  const fields: [string, Test][] = [];
  const logical: FastMatch[] = [];
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$or' || field === '$and') {
      const m = compileLogical(field, cond);
      if (!m) return undefined;
      logical.push(m);
      continue;
    }
    if (field.startsWith('$') || field.includes('.')) return undefined;
    const test = fieldTest(cond);
    if (!test) return undefined;
    fields.push([field, test]);
  }
  return (doc) => {
    for (const [field, test] of fields) {
      const present = Object.prototype.hasOwnProperty.call(doc, field);
      const value = present ? doc[field] : undefined;
      // Arrays (element-wise matching) and embedded documents are mingo's job.
      if (value !== null && value !== undefined && !isScalar(value)) return undefined;
      if (!test(value, present && value !== undefined)) return false;
    }
    for (const m of logical) {
      const r = m(doc);
      if (r !== true) return r;
    }
    return true;
  };
}

/**
 * `$or`/`$and` of clauses this file covers (the batched lookups: one equality clause per request).
 * A clause that declines a document only decides the result when no other clause already did.
 */
function compileLogical(op: '$or' | '$and', clauses: unknown): FastMatch | undefined {
  if (!Array.isArray(clauses) || clauses.length === 0) return undefined;
  const ms: FastMatch[] = [];
  for (const c of clauses) {
    if (!isPlainObject(c)) return undefined;
    const m = compileFastFilter(c);
    if (!m) return undefined;
    ms.push(m);
  }
  const decisive = op === '$or';
  return (doc) => {
    let unknown = false;
    for (const m of ms) {
      const r = m(doc);
      if (r === decisive) return decisive;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  };
}
