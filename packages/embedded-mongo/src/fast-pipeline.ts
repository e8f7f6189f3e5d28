import { compareValues, isPlainObject, type Doc } from './bson-values.js';

/**
 * Update pipelines without mingo for the shape the store's batched seq allocation sends:
 * `$set`/`$addFields` stages of top-level fields whose expressions use field paths, constants,
 * arrays, documents and `$literal`, `$add`, `$max`, `$ifNull`, `$concatArrays`, `$slice`.
 * mingo evaluates each expression through its generic operator machinery, ~100 µs per such
 * update. Anything else (dotted paths, `$$` variables, other operators, argument types outside
 * the cases below) returns undefined and the caller runs mingo, so semantics never depend on this
 * file alone. Where mingo and MongoDB differ on a case handled here, this follows MongoDB
 * (`$max` ignores null and missing operands; `$slice` of null is null).
 */

/** Thrown inside the evaluator to abandon the fast path; never escapes this module. */
const DECLINE = Symbol('decline');

/** Returns the updated document, or undefined when the pipeline is outside the fast shapes. */
export function fastPipeline(doc: Doc, stages: readonly Doc[]): Doc | undefined {
  for (const stage of stages) {
    const fields = stage.$set ?? stage.$addFields;
    if (!isPlainObject(fields) || Object.keys(stage).length !== 1) return undefined;
    for (const [field, expr] of Object.entries(fields)) {
      if (field.includes('.') || field.startsWith('$')) return undefined;
      // A document expression merges into an embedded document in MongoDB: mingo's business.
      if (isPlainObject(expr) && !isOperator(expr)) return undefined;
    }
  }
  try {
    let current = doc;
    for (const stage of stages) {
      const fields = (stage.$set ?? stage.$addFields) as Doc;
      // Every expression of a stage sees the stage's input; the output is a shallow copy.
      const next: Doc = { ...current };
      for (const [field, expr] of Object.entries(fields)) {
        const value = evaluate(expr, current);
        if (value === undefined) delete next[field];
        else next[field] = value;
      }
      current = next;
    }
    return current;
  } catch (err) {
    if (err === DECLINE) return undefined;
    throw err;
  }
}

const isOperator = (expr: Doc): boolean => {
  const keys = Object.keys(expr);
  return keys.length === 1 && (keys[0] as string).startsWith('$');
};

const decline = (): never => {
  throw DECLINE;
};

/** undefined stands for "missing" (a field path that resolves to nothing). */
function evaluate(expr: unknown, root: Doc): unknown {
  if (typeof expr === 'string') {
    if (!expr.startsWith('$')) return expr;
    const path = expr.slice(1);
    if (path.startsWith('$') || path.includes('.') || path === '') return decline();
    return Object.prototype.hasOwnProperty.call(root, path) ? root[path] : undefined;
  }
  if (Array.isArray(expr)) {
    // A missing element becomes null, as in MongoDB (and mingo).
    return expr.map((e) => {
      const v = evaluate(e, root);
      return v === undefined ? null : v;
    });
  }
  if (!isPlainObject(expr)) return expr; // numbers, dates, ObjectIds...: constants
  const keys = Object.keys(expr);
  if (keys.length === 1 && (keys[0] as string).startsWith('$'))
    return operator(keys[0] as string, expr[keys[0] as string], root);
  if (keys.some((k) => k.startsWith('$') || k.includes('.'))) return decline();
  const out: Doc = {};
  for (const k of keys) {
    const v = evaluate(expr[k], root);
    if (v !== undefined) out[k] = v; // missing fields are left out of a document expression
  }
  return out;
}

const isNil = (v: unknown): boolean => v === null || v === undefined;

/** An operator's arguments, evaluated; only the array form is handled. */
const args = (arg: unknown, root: Doc): unknown[] =>
  Array.isArray(arg) ? arg.map((a) => evaluate(a, root)) : decline();

function operator(op: string, arg: unknown, root: Doc): unknown {
  switch (op) {
    case '$literal':
      return arg;
    case '$add': {
      let sum = 0;
      for (const v of args(arg, root)) {
        if (isNil(v)) return null;
        if (typeof v !== 'number') return decline(); // dates and BSON numbers: mingo
        sum += v;
      }
      return sum;
    }
    case '$max': {
      if (!Array.isArray(arg) || arg.length < 2) return decline(); // $max of one array operand
      let best: unknown = null;
      for (const v of args(arg, root)) {
        if (isNil(v)) continue;
        if (Array.isArray(v) || isPlainObject(v)) return decline();
        if (best === null || compareValues(v, best) > 0) best = v;
      }
      return best;
    }
    case '$ifNull': {
      if (!Array.isArray(arg) || arg.length < 2) return decline();
      let v: unknown;
      for (const a of arg) {
        v = evaluate(a, root);
        if (!isNil(v)) return v;
      }
      return v;
    }
    case '$concatArrays': {
      const arrays = args(arg, root);
      const out: unknown[] = [];
      for (const a of arrays) {
        if (isNil(a)) return null;
        if (!Array.isArray(a)) return decline();
        for (const x of a) out.push(x);
      }
      return out;
    }
    case '$slice': {
      if (!Array.isArray(arg) || arg.length !== 2) return decline();
      const [array, n] = args(arg, root);
      if (isNil(array)) return null;
      if (!Array.isArray(array) || typeof n !== 'number' || !Number.isInteger(n)) return decline();
      return n < 0 ? array.slice(Math.max(0, array.length + n)) : array.slice(0, n);
    }
    default:
      return decline();
  }
}
