import { Query } from 'mingo';
import { compareValues, isPlainObject, keyOf, pathValues, type Doc } from './bson-values.js';
import { CommandError } from './errors.js';
import { compileFastFilter, type FastMatch } from './fast-filter.js';

/**
 * The ids holding one key: a bare id while there is one (unique indexes, and most keys of the
 * others), a Set from the second on. A Set per key cost an allocation per insert per index.
 */
export type Ids = string | Set<string>;

export const idCount = (ids: Ids): number => (typeof ids === 'string' ? 1 : ids.size);

/** The ids as an iterable (a bare id must not be iterated as characters). */
export const idList = (ids: Ids): Iterable<string> => (typeof ids === 'string' ? [ids] : ids);

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
  /** The canonical form of the first field's value (the byFirst and ordered-list key). */
  first: string;
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
  /** The partial filter without mingo when its shape allows (e.g. `{ f: { $type: 'string' } }`). */
  private readonly partialFast: FastMatch | undefined;
  /** The partial filter split per top-level field, when it has no top-level operators. */
  private readonly partialByField: Array<[string, (doc: Doc) => boolean]> | undefined;
  readonly entries = new Map<string, Ids>();
  /**
   * Ids by the first field's key alone, for equality on a prefix of a compound index. Built on
   * the first such lookup and maintained from then on: indexes that never serve one (a unique
   * dedupe key) do not pay a second map update on every write. A one-field index answers from
   * `entries`, whose keys are the same.
   */
  private byFirst: Map<string, Ids> | undefined;
  /**
   * Two-field indexes also keep, per first-field value, the ids ordered by the second field
   * (BSON order), so "equality on the first + sort on the second + limit" walks only the page
   * it returns (a history page of a long conversation) instead of sorting every document.
   * A multikey document makes the order ambiguous: the index then stops offering it.
   * The lists are built on the first request and maintained from then on, so indexes that
   * never serve such a page (a unique dedupe key) do not pay for sorted inserts on every write.
   */
  private ordered: Map<string, OrderedEntry[]> | undefined;
  /** The top-level fields the keys and the partial filter read; undefined: read everything. */
  private readonly dependsOn: string[] | undefined;
  private orderedValid: boolean;

  /** `docs`: the collection's documents by id, read when a lazily built structure is first needed. */
  constructor(
    readonly spec: IndexSpec,
    private readonly docs: ReadonlyMap<string, Doc> = new Map(),
  ) {
    this.fields = Object.keys(spec.key);
    this.parts = this.fields.map((f) => f.split('.'));
    const pfe = spec.partialFilterExpression;
    this.partial = pfe ? new Query(pfe) : undefined;
    this.partialFast = pfe ? compileFastFilter(pfe) : undefined;
    this.partialByField =
      pfe && Object.keys(pfe).every((f) => !f.startsWith('$') && !f.includes('.'))
        ? Object.entries(pfe).map(([f, cond]): [string, (doc: Doc) => boolean] => {
            const query = new Query({ [f]: cond });
            const fast = compileFastFilter({ [f]: cond });
            return [f, (doc) => fast?.(doc) ?? query.test(doc)];
          })
        : undefined;
    this.orderedValid = this.fields.length === 2;
    const filterFields = pfe ? Object.keys(pfe) : [];
    const tops = [
      ...this.parts.map((p) => p[0] as string),
      ...filterFields.map((f) => f.split('.')[0] as string),
    ];
    this.dependsOn = filterFields.some((f) => f.startsWith('$')) ? undefined : [...new Set(tops)];
  }

  /**
   * Whether every document matching these equalities is in the index, so a lookup misses none:
   * always for a full index; for a partial one when each equality value alone satisfies the
   * partial filter on its field (e.g. `clientMsgId: "x"` under `{ clientMsgId: { $type: "string" } }`).
   */
  coversEquality(eq: ReadonlyMap<string, readonly unknown[]>): boolean {
    if (!this.partial) return true;
    if (!this.partialByField) return false;
    for (const [field, test] of this.partialByField) {
      const values = eq.get(field);
      if (values === undefined) return false;
      for (const v of values) if (!test({ [field]: v })) return false;
    }
    return true;
  }

  /** The ids whose first indexed field has this canonical key. */
  idsByFirst(key: string): Ids | undefined {
    if (this.fields.length === 1) return this.entries.get(key);
    if (!this.byFirst) {
      const map = new Map<string, Ids>();
      for (const [id, doc] of this.docs) for (const k of this.keysOf(doc)) addTo(map, k.first, id);
      this.byFirst = map;
    }
    return this.byFirst.get(key);
  }

  /**
   * The ids with this first-field value ordered by the second field, if this index offers that.
   * `docs` are the collection's documents by id, read once to build the lists.
   */
  orderedFor(first: unknown, docs: ReadonlyMap<string, Doc>): readonly OrderedEntry[] | undefined {
    if (!this.orderedValid) return undefined;
    this.ordered ??= this.buildOrdered(docs);
    return this.ordered.get(keyOf(first)) ?? [];
  }

  private buildOrdered(docs: ReadonlyMap<string, Doc>): Map<string, OrderedEntry[]> {
    const lists = new Map<string, OrderedEntry[]>();
    for (const [id, doc] of docs) {
      // add() already turned the order off for multikey documents, so each has at most one key.
      const k = this.keysOf(doc)[0];
      if (!k) continue;
      let list = lists.get(k.first);
      if (!list) {
        list = [];
        lists.set(k.first, list);
      }
      list.push({ value: k.values[1], id });
    }
    // Array sort is stable: ties keep the collection's insertion order.
    for (const list of lists.values()) list.sort((a, b) => compareValues(a.value, b.value));
    return lists;
  }

  /**
   * True when a replacement cannot change this document's keys: every indexed path starts at a
   * top-level field holding the very same value (stored documents are never mutated in place, and
   * copy-on-write updates share what they did not touch). A partial index also depends on the
   * top-level fields its filter names; one with top-level operators ($and, $or) always recomputes.
   */
  unchangedBy(oldDoc: Doc, newDoc: Doc): boolean {
    if (!this.dependsOn) return false;
    for (const top of this.dependsOn) {
      if (oldDoc[top] !== newDoc[top]) return false;
      if (Object.hasOwn(oldDoc, top) !== Object.hasOwn(newDoc, top)) return false;
    }
    return true;
  }

  /** The keys a document contributes, empty when the index skips it (sparse or partial). */
  keysOf(doc: Doc): IndexKey[] {
    if (this.partial && !(this.partialFast?.(doc) ?? this.partial.test(doc))) return [];
    const simple = this.simpleKeys(doc);
    if (simple) return simple;
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
      const parts = values.map(keyOf);
      const key = parts.join('|');
      if (!seen.has(key)) seen.set(key, { key, values, first: parts[0] as string });
    }
    return [...seen.values()];
  }

  /**
   * The keys of a document whose indexed paths cross no array (the usual case), without the
   * per-path value lists and cartesian product below; undefined when an array is involved.
   */
  private simpleKeys(doc: Doc): IndexKey[] | undefined {
    const values: unknown[] = [];
    let present = 0;
    let key = '';
    let first = '';
    for (const parts of this.parts) {
      let cur: unknown = doc;
      let found = true;
      for (const part of parts) {
        if (Array.isArray(cur)) return undefined;
        if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, part)) cur = cur[part];
        else {
          found = false;
          break;
        }
      }
      if (Array.isArray(cur)) return undefined;
      if (found) present++;
      // A missing field is indexed as null, like pathValues' empty result below.
      const value = found ? cur : null;
      values.push(value);
      if (values.length === 1) key = first = keyOf(value);
      else key = `${key}|${keyOf(value)}`;
    }
    if (this.spec.sparse && present === 0) return [];
    return [{ key, values, first }];
  }

  /** Throws E11000 if any of the keys belongs to another document. */
  checkUnique(ns: string, id: string, keys: IndexKey[]): void {
    if (!this.spec.unique) return;
    for (const k of keys) {
      const holders = this.entries.get(k.key);
      if (holders === undefined) continue;
      for (const other of idList(holders)) if (other !== id) throw duplicateKey(ns, this, k.values);
    }
  }

  add(id: string, keys: IndexKey[]): void {
    for (const k of keys) {
      addTo(this.entries, k.key, id);
      if (this.byFirst) addTo(this.byFirst, k.first, id);
    }
    if (!this.orderedValid) return;
    if (keys.length > 1) {
      this.orderedValid = false;
      this.ordered = undefined;
      return;
    }
    if (!this.ordered) return;
    const k = keys[0];
    if (!k) return;
    let list = this.ordered.get(k.first);
    if (!list) {
      list = [];
      this.ordered.set(k.first, list);
    }
    // After every equal value, so ties keep insertion order (ids are usually appended).
    list.splice(upperBound(list, k.values[1]), 0, { value: k.values[1], id });
  }

  remove(id: string, keys: IndexKey[]): void {
    for (const k of keys) {
      removeFrom(this.entries, k.key, id);
      if (this.byFirst) removeFrom(this.byFirst, k.first, id);
    }
    if (!this.orderedValid || !this.ordered) return;
    for (const k of keys) {
      const list = this.ordered.get(k.first);
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
      if (list.length === 0) this.ordered.delete(k.first);
    }
  }

  clear(): void {
    this.entries.clear();
    this.byFirst = undefined;
    this.ordered = undefined;
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

function addTo(map: Map<string, Ids>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, id);
  else if (typeof ids !== 'string') ids.add(id);
  else if (ids !== id) map.set(key, new Set([ids, id]));
}

function removeFrom(map: Map<string, Ids>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) map.delete(key);
    return;
  }
  ids.delete(id);
  // Back to a bare id, so a key's representation does not depend on its history.
  if (ids.size === 1) map.set(key, ids.values().next().value as string);
  else if (ids.size === 0) map.delete(key);
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
