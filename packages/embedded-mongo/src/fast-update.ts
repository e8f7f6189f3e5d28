import { compareValues, isPlainObject, sameKey, type Doc } from './bson-values.js';

/**
 * Operator updates without mingo for the shapes the hot paths send: $set, $unset, $inc, $min
 * and $max on plain dotted paths through embedded documents. mingo's updater builds a query
 * context per call (a measurable share of the server's CPU under chat load). Anything else
 * (arrays on the path, positional operators, non-numeric $inc...) returns undefined and the
 * caller falls back to mingo, so semantics never depend on this file alone.
 *
 * Copy-on-write: only the objects along the updated paths are copied. Stored documents are
 * never mutated in place (see Collection), so the untouched parts can be shared.
 */
const FAST_OPERATORS = new Set(['$set', '$unset', '$inc', '$min', '$max']);

type Plan = { op: string; parts: string[]; arg: unknown }[];

function plan(ops: Doc): Plan | undefined {
  const out: Plan = [];
  for (const [op, args] of Object.entries(ops)) {
    if (!FAST_OPERATORS.has(op) || !isPlainObject(args)) return undefined;
    for (const [path, arg] of Object.entries(args)) {
      const parts = path.split('.');
      // _id changes must fail like MongoDB's; numeric parts may index arrays; '$' is positional.
      if (parts[0] === '_id' || parts.some((p) => p === '' || p.includes('$') || /^\d+$/.test(p)))
        return undefined;
      if (op === '$inc' && typeof arg !== 'number') return undefined;
      out.push({ op, parts, arg });
    }
  }
  return out;
}

/** Applies the update; undefined when the fast path does not apply (nothing was changed then). */
export function fastUpdate(doc: Doc, ops: Doc): { doc: Doc; modified: boolean } | undefined {
  const steps = plan(ops);
  if (!steps) return undefined;
  const root: Doc = { ...doc };
  const copied = new Set<Doc>([root]);
  let modified = false;
  for (const { op, parts, arg } of steps) {
    // Walk to the parent, copying each embedded document on the way (once).
    let parent: Doc = root;
    let missing = false;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i] as string;
      const next = parent[key];
      if (next === undefined || next === null) {
        if (op === '$unset') {
          missing = true;
          break;
        }
        if (next === null) return undefined; // MongoDB refuses to create a field inside null.
        const created: Doc = {};
        parent[key] = created;
        copied.add(created);
        parent = created;
      } else if (isPlainObject(next)) {
        const copy = copied.has(next) ? next : { ...next };
        copied.add(copy);
        parent[key] = copy;
        parent = copy;
      } else return undefined;
    }
    if (missing) continue; // $unset of a path that does not exist: nothing to do.
    const leaf = parts[parts.length - 1] as string;
    const present = Object.prototype.hasOwnProperty.call(parent, leaf);
    const current = parent[leaf];
    let value: unknown;
    switch (op) {
      case '$unset':
        if (present) {
          delete parent[leaf];
          modified = true;
        }
        continue;
      case '$set':
        value = arg;
        break;
      case '$inc':
        if (!present || current === null || current === undefined) value = arg;
        else if (typeof current === 'number') value = current + (arg as number);
        else return undefined;
        break;
      case '$max':
        value = !present || compareValues(arg, current) > 0 ? arg : current;
        break;
      case '$min':
        value = !present || compareValues(arg, current) < 0 ? arg : current;
        break;
      default:
        return undefined;
    }
    if (present && value === current) continue; // the common "already that value" case
    if (!present || typeof value !== typeof current || !sameKey(value, current)) {
      parent[leaf] = value;
      modified = true;
    }
  }
  return { doc: root, modified };
}
