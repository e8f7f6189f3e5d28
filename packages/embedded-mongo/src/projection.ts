import type { Doc } from './bson-values.js';
import { newQuery } from './mingo-options.js';
import { wrapMingo } from './query.js';

/** Applies a find projection to already filtered documents. */
export function project(docs: Doc[], projection: Doc | undefined, filter: Doc | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0 || docs.length === 0) return docs;
  const simple = simpleInclusion(projection) ?? simpleExclusion(projection);
  if (simple) return docs.map(simple);
  // The positional projection `arr.$` needs the query condition; otherwise skip re-filtering.
  const positional = Object.keys(projection).some((k) => k.endsWith('.$'));
  return wrapMingo(
    () =>
      newQuery(positional && filter ? filter : {})
        .find(docs, projection)
        .all() as Doc[],
  );
}

/**
 * `{ a: 1, b: 1 }` (optionally `_id: 0`) on top-level fields, the projection hot paths use
 * (e.g. allocateSeq's `{ seq: 1 }`), without mingo. Anything else returns undefined.
 */
function simpleInclusion(projection: Doc): ((doc: Doc) => Doc) | undefined {
  let withId = true;
  const fields: string[] = [];
  for (const [field, v] of Object.entries(projection)) {
    if (field.includes('.') || field.startsWith('$')) return undefined;
    if (field === '_id' && (v === 0 || v === false)) withId = false;
    else if (v === 1 || v === true) {
      if (field !== '_id') fields.push(field);
    } else return undefined;
  }
  if (fields.length === 0) return undefined;
  return (doc) => {
    const out: Doc = {};
    if (withId && doc._id !== undefined) out._id = doc._id;
    for (const f of fields) if (Object.prototype.hasOwnProperty.call(doc, f)) out[f] = doc[f];
    return out;
  };
}

/**
 * `{ a: 0, b: 0 }` on top-level fields (e.g. findById's `{ seqGrants: 0 }`), without mingo:
 * every other field in stored order. Anything else returns undefined.
 */
function simpleExclusion(projection: Doc): ((doc: Doc) => Doc) | undefined {
  const excluded = new Set<string>();
  for (const [field, v] of Object.entries(projection)) {
    if (field.includes('.') || field.startsWith('$') || (v !== 0 && v !== false)) return undefined;
    excluded.add(field);
  }
  return (doc) => {
    const out: Doc = {};
    for (const k of Object.keys(doc)) if (!excluded.has(k)) out[k] = doc[k];
    return out;
  };
}
