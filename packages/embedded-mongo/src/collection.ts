import { getPath, isPlainObject, keyOf, type Doc } from './bson-values.js';
import { equalityValues, isIndexable, planLookup } from './planner.js';
import { CommandError } from './errors.js';
import type { WriteJournal } from './persistence/journal.js';
import { sameIndexOptions } from './index-spec.js';
import {
  duplicateKey,
  Index,
  lowerBound,
  upperBound,
  type IndexKey,
  type IndexSpec,
} from './indexes.js';

const ID_INDEX: IndexSpec = {
  name: '_id_',
  key: { _id: 1 },
  unique: true,
  sparse: false,
  extra: {},
};
/**
 * Same keys in the same order. The ordered two-field lists also hold the raw second value, whose
 * type may change without changing the key (1 vs 1.0 vs Long 1): keys then count as different.
 */
function sameKeys(a: IndexKey[], b: IndexKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as IndexKey;
    const y = b[i] as IndexKey;
    if (x.key !== y.key) return false;
    for (let j = 0; j < x.values.length; j++) if (x.values[j] !== y.values[j]) return false;
  }
  return true;
}

/**
 * One collection: documents keyed by the canonical form of their `_id` (which is the `_id_` index),
 * secondary indexes maintained on every write. Stored documents are never mutated in place: writers
 * replace them, so cursors holding references keep a consistent snapshot.
 */
export class Collection {
  readonly docs = new Map<string, Doc>();
  /** Change through createIndex/dropIndex only (the secondary list is cached). */
  readonly indexes: ReadonlyMap<string, Index>;
  private readonly indexMap = new Map<string, Index>();
  readonly createdAt = new Date();

  /** `journal`: told of every change once applied, in durable mode (undefined in memory). */
  constructor(
    readonly db: string,
    readonly name: string,
    private readonly journal?: WriteJournal,
  ) {
    this.indexes = this.indexMap;
    this.indexMap.set('_id_', new Index(ID_INDEX, this.docs));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  private secondaryList: Index[] | undefined;

  /** The indexes besides `_id_`, listed once per change of the index set (not per write). */
  private secondary(): Index[] {
    this.secondaryList ??= [...this.indexes.values()].filter((i) => i.spec.name !== '_id_');
    return this.secondaryList;
  }

  dropIndex(name: string): boolean {
    this.secondaryList = undefined;
    const dropped = this.indexMap.delete(name);
    if (dropped) this.journal?.collectionChanged(this.db, this.name);
    return dropped;
  }

  insert(doc: Doc): void {
    const id = keyOf(doc._id);
    if (this.docs.has(id))
      throw duplicateKey(this.ns, this.indexes.get('_id_') as Index, [doc._id]);
    const planned = this.secondary().map((ix) => [ix, ix.keysOf(doc)] as const);
    for (const [ix, keys] of planned) ix.checkUnique(this.ns, id, keys);
    for (const [ix, keys] of planned) ix.add(id, keys);
    this.docs.set(id, doc);
    this.journal?.put(this.ns, id, doc);
  }

  /** Swaps a stored document for its updated version (same _id), enforcing unique indexes first. */
  replace(oldDoc: Doc, newDoc: Doc): void {
    const id = keyOf(oldDoc._id);
    if (keyOf(newDoc._id) !== id) {
      throw new CommandError(
        66,
        'ImmutableField',
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    // Most updates leave the indexed fields alone ($set of a flag, $inc of a counter): those
    // indexes are neither checked nor touched (re-adding would re-sort the ordered lists).
    const planned: [Index, IndexKey[], IndexKey[]][] = [];
    for (const ix of this.secondary()) {
      if (ix.unchangedBy(oldDoc, newDoc)) continue;
      const before = ix.keysOf(oldDoc);
      const after = ix.keysOf(newDoc);
      if (!sameKeys(before, after)) planned.push([ix, before, after]);
    }
    for (const [ix, , keys] of planned) ix.checkUnique(this.ns, id, keys);
    for (const [ix, before, after] of planned) {
      ix.remove(id, before);
      ix.add(id, after);
    }
    this.docs.set(id, newDoc);
    this.journal?.put(this.ns, id, newDoc);
  }

  remove(doc: Doc): void {
    const id = keyOf(doc._id);
    if (!this.docs.delete(id)) return;
    for (const ix of this.secondary()) ix.remove(id, ix.keysOf(doc));
    this.journal?.delete(this.ns, id);
  }

  clear(): void {
    this.docs.clear();
    for (const ix of this.indexes.values()) ix.clear();
    this.journal?.clear(this.ns);
  }

  /**
   * Startup only: a document read back from durable storage, in its original order, before
   * any secondary index exists (createIndex then builds each index in one pass). Not journaled.
   */
  restore(id: string, doc: Doc): void {
    this.docs.set(id, doc);
  }

  /** A change of index options made in place (collMod): journaled like a new index. */
  optionsChanged(): void {
    this.journal?.collectionChanged(this.db, this.name);
  }

  /** Creates an index; returns false when an identical one exists. */
  createIndex(spec: IndexSpec): boolean {
    for (const existing of this.indexes.values()) {
      const sameKey = keyOf(existing.spec.key) === keyOf(spec.key);
      if (existing.spec.name === spec.name) {
        if (sameKey && sameIndexOptions(existing.spec, spec)) return false;
        const code = sameKey ? [85, 'IndexOptionsConflict'] : [86, 'IndexKeySpecsConflict'];
        throw new CommandError(
          code[0] as number,
          code[1] as string,
          `An existing index has the same name as the requested index but different key or options. Requested index: ${JSON.stringify(spec.key)}, existing index: ${JSON.stringify(existing.spec.key)}`,
        );
      }
      if (
        sameKey &&
        keyOf(existing.spec.partialFilterExpression) === keyOf(spec.partialFilterExpression)
      ) {
        if (sameIndexOptions(existing.spec, spec)) return false;
        throw new CommandError(
          85,
          'IndexOptionsConflict',
          `Index already exists with a different name: ${existing.spec.name}`,
        );
      }
    }
    const ix = new Index(spec, this.docs);
    for (const [id, doc] of this.docs) {
      const keys = ix.keysOf(doc);
      ix.checkUnique(this.ns, id, keys);
      ix.add(id, keys);
    }
    this.indexMap.set(spec.name, ix);
    this.secondaryList = undefined;
    this.journal?.collectionChanged(this.db, this.name);
    return true;
  }

  /**
   * Documents that may match the filter: an index lookup when the filter allows one, else all.
   * `exact` means the lookup alone decided the match (every condition was an equality it used).
   */
  candidates(filter: unknown): { docs: Doc[]; exact: boolean } {
    const plan = isPlainObject(filter) ? planLookup(this.secondary(), filter) : undefined;
    if (!plan) return { docs: [...this.docs.values()], exact: false };
    return { docs: this.collect(plan.ids), exact: plan.exact };
  }

  /**
   * The documents matching `filter` in `sort` order, at most `count`, by walking a two-field
   * index [f, s] in s order with equality on f (e.g. a history page: conversationId + seq range,
   * sort by seq, limit). Range conditions on s pick the starting point; every document still
   * goes through `match`. Undefined when no index fits: the caller sorts candidates instead.
   */
  orderedScan(
    filter: unknown,
    sort: Doc,
    count: number,
    match: (doc: Doc) => boolean,
  ): Doc[] | undefined {
    if (!isPlainObject(filter)) return undefined;
    const sortFields = Object.keys(sort);
    const sortField = sortFields[0];
    const dir = sortField === undefined ? undefined : sort[sortField];
    if (sortFields.length !== 1 || sortField === undefined || (dir !== 1 && dir !== -1))
      return undefined;
    for (const ix of this.secondary()) {
      if (ix.spec.partialFilterExpression || ix.spec.sparse || ix.fields[1] !== sortField) continue;
      const values = equalityValues(filter[ix.fields[0] as string]);
      if (!values || values.length !== 1) continue;
      const list = ix.orderedFor(values[0], this.docs);
      if (!list) continue;
      const range = filter[sortField];
      const bound = (op: string): unknown =>
        isPlainObject(range) && op in range && isIndexable(range[op]) ? range[op] : undefined;
      let i: number;
      if (dir === 1) {
        const gt = bound('$gt');
        const gte = bound('$gte');
        // Everything before the bound is ≤ it in BSON order, so it cannot match the range.
        i = gt !== undefined ? upperBound(list, gt) : gte !== undefined ? lowerBound(list, gte) : 0;
      } else {
        const lt = bound('$lt');
        const lte = bound('$lte');
        i =
          (lt !== undefined
            ? lowerBound(list, lt)
            : lte !== undefined
              ? upperBound(list, lte)
              : list.length) - 1;
      }
      const out: Doc[] = [];
      for (; i >= 0 && i < list.length && out.length < count; i += dir) {
        const doc = this.docs.get((list[i] as { id: string }).id);
        if (doc && match(doc)) out.push(doc);
      }
      return out;
    }
    return undefined;
  }

  /** Ids come from a Set, so no dedupe is needed. */
  private collect(ids: Iterable<string>): Doc[] {
    const out: Doc[] = [];
    for (const id of ids) {
      const d = this.docs.get(id);
      if (d) out.push(d);
    }
    return out;
  }

  /** Removes documents whose TTL-indexed date lies more than expireAfterSeconds in the past. */
  sweepExpired(now: number): number {
    let removed = 0;
    for (const ix of this.indexes.values()) {
      const ttl = ix.spec.expireAfterSeconds;
      const field = ix.fields[0];
      if (ttl === undefined || field === undefined || ix.fields.length !== 1) continue;
      for (const doc of [...this.docs.values()]) {
        const v = getPath(doc, field);
        const dates = (Array.isArray(v) ? v : [v]).filter((x): x is Date => x instanceof Date);
        if (dates.length === 0) continue;
        const earliest = Math.min(...dates.map((d) => d.getTime()));
        if (earliest + ttl * 1000 <= now) {
          this.remove(doc);
          removed++;
        }
      }
    }
    return removed;
  }
}
