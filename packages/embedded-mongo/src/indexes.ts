import { Query } from 'mingo';
import { compareValues, keyOf, pathValues, type Doc } from './bson-values.js';
import { CommandError } from './errors.js';

/** An index as listIndexes reports it, plus the parsed key fields. */
export interface IndexSpec {
  name: string;
  key: Doc;
  unique: boolean;
  sparse: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  /** Options we do not interpret but echo back in listIndexes (collation, weights...). */
  extra: Doc;
}

/** One key of a document in an index: its canonical string and the per-field values. */
export interface IndexKey {
  key: string;
  values: unknown[];
}

const CARTESIAN_CAP = 1000;

/**
 * An index over one collection: maps the canonical key to the ids of the documents holding it,
 * plus a map on the first field alone so equality on a prefix can still avoid a full scan.
 */
export class Index {
  readonly fields: string[];
  private readonly parts: string[][];
  private readonly partial: Query | undefined;
  readonly entries = new Map<string, Set<string>>();
  readonly byFirst = new Map<string, Set<string>>();
  /**
   * Two-field indexes also keep, per first-field value, the ids ordered by the second field
   * (BSON order), so "equality on the first + sort on the second + limit" walks only the page
   * it returns (a history page of a long conversation) instead of sorting every document.
   * A multikey document makes the order ambiguous: the index then stops offering it.
   */
  readonly ordered: Map<string, OrderedEntry[]> | undefined;
  private orderedValid: boolean;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.parts = this.fields.map((f) => f.split('.'));
    this.partial = spec.partialFilterExpression
      ? new Query(spec.partialFilterExpression)
      : undefined;
    this.orderedValid = this.fields.length === 2;
    this.ordered = this.orderedValid ? new Map() : undefined;
  }

  /** The ids with this first-field value ordered by the second field, if this index keeps that. */
  orderedFor(first: unknown): readonly OrderedEntry[] | undefined {
    if (!this.orderedValid || !this.ordered) return undefined;
    return this.ordered.get(keyOf(first)) ?? [];
  }

  /** The keys a document contributes, empty when the index skips it (sparse or partial). */
  keysOf(doc: Doc): IndexKey[] {
    if (this.partial && !this.partial.test(doc)) return [];
    const perField = this.parts.map((p) => pathValues(doc, p));
    if (this.spec.sparse && perField.every((vs) => vs.length === 0)) return [];
    let combos: unknown[][] = [[]];
    for (const vs of perField) {
      const values = vs.length === 0 ? [null] : vs;
      const next: unknown[][] = [];
      for (const c of combos)
        for (const v of values) if (next.length < CARTESIAN_CAP) next.push([...c, v]);
      combos = next;
    }
    const seen = new Map<string, IndexKey>();
    for (const values of combos) {
      const key = values.map(keyOf).join('|');
      if (!seen.has(key)) seen.set(key, { key, values });
    }
    return [...seen.values()];
  }

  /** Throws E11000 if any of the keys belongs to another document. */
  checkUnique(ns: string, id: string, keys: IndexKey[]): void {
    if (!this.spec.unique) return;
    for (const k of keys) {
      const holders = this.entries.get(k.key);
      if (!holders) continue;
      for (const other of holders) if (other !== id) throw duplicateKey(ns, this, k.values);
    }
  }

  add(id: string, keys: IndexKey[]): void {
    for (const k of keys) {
      addTo(this.entries, k.key, id);
      addTo(this.byFirst, keyOf(k.values[0]), id);
    }
    if (!this.orderedValid || !this.ordered) return;
    if (keys.length > 1) {
      this.orderedValid = false;
      this.ordered.clear();
      return;
    }
    const k = keys[0];
    if (!k) return;
    const firstKey = keyOf(k.values[0]);
    let list = this.ordered.get(firstKey);
    if (!list) {
      list = [];
      this.ordered.set(firstKey, list);
    }
    // After every equal value, so ties keep insertion order (ids are usually appended).
    list.splice(upperBound(list, k.values[1]), 0, { value: k.values[1], id });
  }

  remove(id: string, keys: IndexKey[]): void {
    for (const k of keys) {
      removeFrom(this.entries, k.key, id);
      removeFrom(this.byFirst, keyOf(k.values[0]), id);
    }
    if (!this.orderedValid || !this.ordered) return;
    for (const k of keys) {
      const firstKey = keyOf(k.values[0]);
      const list = this.ordered.get(firstKey);
      if (!list) continue;
      for (
        let i = lowerBound(list, k.values[1]);
        i < list.length && compareValues(list[i]?.value, k.values[1]) === 0;
        i++
      ) {
        if (list[i]?.id === id) {
          list.splice(i, 1);
          break;
        }
      }
      if (list.length === 0) this.ordered.delete(firstKey);
    }
  }

  clear(): void {
    this.entries.clear();
    this.byFirst.clear();
    this.ordered?.clear();
    this.orderedValid = this.fields.length === 2;
  }
}

export interface OrderedEntry {
  value: unknown;
  id: string;
}

/** First position whose value is ≥ v (BSON order). */
export function lowerBound(list: readonly OrderedEntry[], v: unknown): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareValues(list[mid]?.value, v) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position whose value is > v (BSON order). */
export function upperBound(list: readonly OrderedEntry[], v: unknown): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareValues(list[mid]?.value, v) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

export function duplicateKey(ns: string, index: Index, values: unknown[]): CommandError {
  const keyValue: Doc = {};
  index.fields.forEach((f, i) => (keyValue[f] = values[i] ?? null));
  const rendered = index.fields.map((f, i) => `${f}: ${renderKeyValue(values[i])}`).join(', ');
  return new CommandError(
    11000,
    'DuplicateKey',
    `E11000 duplicate key error collection: ${ns} index: ${index.spec.name} dup key: { ${rendered} }`,
    {
      keyPattern: { ...index.spec.key },
      keyValue,
    },
  );
}

const renderKeyValue = (v: unknown): string => {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  const hex = (v as { toHexString?: () => string }).toHexString;
  if (typeof hex === 'function') return `ObjectId('${hex.call(v)}')`;
  return typeof v === 'object' ? JSON.stringify(v) : String(v as number);
};

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
