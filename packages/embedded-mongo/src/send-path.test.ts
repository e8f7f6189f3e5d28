import { Int32, Long, ObjectId } from 'bson';
import { aggregate, find, Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { cloneDoc, keyOf, sameKey, type Doc } from './bson-values.js';
import { Collection } from './collection.js';
import { compileFastFilter } from './fast-filter.js';
import { fastPipeline } from './fast-pipeline.js';
import { project } from './projection.js';
import { applyUpdate } from './update.js';
import { seqGrantPipeline } from '../test/seq-grant-pipeline.js';

const when = new Date('2026-01-01T00:00:00Z');
const token = new ObjectId();

const DOCS: Doc[] = [
  { _id: 1, seq: 4, lastActivityAt: when, nested: { k: 1, l: [1, 2] } },
  {
    _id: new ObjectId(),
    seq: 9,
    lastActivityAt: new Date(when.getTime() + 5000),
    seqGrants: Array.from({ length: 16 }, (_, i) => ({ t: new ObjectId(), s: i })),
    s: 'x',
  },
  // null, not missing: mingo's $max answers null when an operand is missing (MongoDB ignores it).
  { _id: 'c', s: '$notAPath', arr: [{ a: 1 }, { a: 2 }], lastActivityAt: null },
];

/** allocateMany's pipeline (packages/store conversations.repository.ts), then other shapes. */
const PIPELINES: Doc[][] = [
  seqGrantPipeline(2, { id: token, text: '$looks like a path', kind: 'text' }, token, when),
  [{ $set: { s: '$s' } }],
  [{ $set: { 'nested.k': 5 } }],
  [{ $addFields: { nested: { q: 1 } } }],
  [{ $set: { gone: '$$REMOVE', s: '$$REMOVE' } }],
  [{ $unset: 's' }],
  [{ $project: { s: 1 } }],
  [{ $replaceWith: { $mergeObjects: ['$$ROOT', { z: 1 }] } }],
  [{ $set: { copy: '$nested' } }, { $set: { 'copy.k': 7 } }],
];

describe('pipeline updates', () => {
  it('produce what the stages produce in mingo and leave the stored document untouched', () => {
    for (const pipeline of PIPELINES) {
      for (const doc of DOCS) {
        const label = `${JSON.stringify(pipeline)} on ${keyOf(doc)}`;
        const before = keyOf(doc);
        // The stages' own semantics, as an aggregation runs them (mingo's updateOne adds
        // bookkeeping that fails on some of these pipelines).
        const expected = aggregate([cloneDoc(doc)], pipeline)[0] as Doc;
        if (expected._id === undefined) expected._id = doc._id;
        const res = applyUpdate(doc, pipeline, { filter: {}, inserting: false });
        expect(keyOf(doc), `stored document mutated: ${label}`).toBe(before);
        expect(keyOf(res.doc), label).toBe(keyOf({ _id: expected._id, ...expected }));
        expect(res.modified, label).toBe(keyOf(res.doc) !== before);
      }
    }
  });

  it('run the batched seq allocation without mingo, with MongoDB semantics for missing operands', () => {
    const allocate = PIPELINES[0] as Doc[];
    for (const doc of DOCS) expect(fastPipeline(doc, allocate)).toBeDefined();
    const out = fastPipeline({ _id: 1, seq: 1 }, allocate);
    expect(out).toEqual({
      _id: 1,
      seq: 3,
      lastMessage: { id: token, text: '$looks like a path', kind: 'text' },
      lastActivityAt: when,
      seqGrants: [{ t: token, s: 3 }],
    });
    expect(fastPipeline({ _id: 1 }, [{ $set: { a: { $slice: ['$missing', -2] } } }])).toEqual({
      _id: 1,
      a: null,
    });
  });

  it('leave other shapes to mingo', () => {
    const doc = DOCS[0] as Doc;
    for (const pipeline of [
      [{ $set: { 'nested.k': 5 } }],
      [{ $set: { nested: { q: 1 } } }],
      [{ $set: { r: '$$ROOT' } }],
      [{ $set: { r: '$nested.k' } }],
      [{ $set: { r: { $add: ['$lastActivityAt', 1] } } }],
      [{ $set: { r: { $max: ['$nested'] } } }],
      [{ $set: { r: { $slice: ['$seq', 1, 2] } } }],
      [{ $set: { r: { $toUpper: 'x' } } }],
      [{ $project: { s: 1 } }],
      [{ $unset: 's' }],
    ])
      expect(fastPipeline(doc, pipeline), JSON.stringify(pipeline)).toBeUndefined();
  });

  it('reports an unchanged document as not modified', () => {
    const doc = DOCS[0] as Doc;
    const res = applyUpdate(doc, [{ $set: { seq: '$seq', nested: '$nested' } }], {
      filter: {},
      inserting: false,
    });
    expect(res.modified).toBe(false);
  });
});

describe('sameKey', () => {
  it('agrees with comparing keyOf strings', () => {
    const values: unknown[] = [
      1,
      1.0,
      new Int32(1),
      Long.fromNumber(1),
      0,
      -0,
      NaN,
      '1',
      null,
      undefined,
      true,
      when,
      new Date(when.getTime()),
      new Date(NaN),
      new Date(NaN),
      token,
      new ObjectId(token.toHexString()),
      [1, 2],
      [1, [2]],
      [],
      {},
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: 1, b: new Int32(2) },
      { a: null },
      { a: undefined },
      { a: [{ b: 1 }] },
    ];
    for (const a of values)
      for (const b of values)
        expect(sameKey(a, b), `${keyOf(a)} vs ${keyOf(b)}`).toBe(keyOf(a) === keyOf(b));
  });
});

describe('project with a simple exclusion', () => {
  it('matches mingo for top-level exclusions, with and without _id', () => {
    for (const projection of [{ seqGrants: 0 }, { _id: 0, s: 0 }, { missing: 0 }, { s: false }]) {
      expect(project(DOCS, projection, undefined)).toEqual(find(DOCS, {}, projection).all());
    }
  });
});

describe('index keys held by one or several documents', () => {
  it('answers lookups and unique checks as the key gains and loses holders', () => {
    const coll = new Collection('db', 'c');
    coll.createIndex({ name: 'g_1', key: { g: 1 }, unique: false, sparse: false, extra: {} });
    coll.createIndex({ name: 'u_1', key: { u: 1 }, unique: true, sparse: false, extra: {} });
    const ids = (filter: Doc): unknown[] => coll.candidates(filter).docs.map((d) => d._id);
    coll.insert({ _id: 1, g: 'a', u: 1 });
    expect(ids({ g: 'a' })).toEqual([1]);
    coll.insert({ _id: 2, g: 'a', u: 2 });
    coll.insert({ _id: 3, g: 'a', u: 3 });
    expect(ids({ g: 'a' })).toEqual([1, 2, 3]);
    coll.remove({ _id: 2, g: 'a', u: 2 });
    coll.remove({ _id: 1, g: 'a', u: 1 });
    expect(ids({ g: 'a' })).toEqual([3]);
    expect(ids({ g: { $in: ['a', 'b'] } })).toEqual([3]);
    coll.replace({ _id: 3, g: 'a', u: 3 }, { _id: 3, g: 'b', u: 3 });
    expect(ids({ g: 'a' })).toEqual([]);
    expect(ids({ g: 'b', u: 3 })).toEqual([3]);
    // u: 1 and u: 2 are free again; u: 3 is still taken by document 3 only.
    coll.insert({ _id: 4, g: 'b', u: 1 });
    expect(() => coll.insert({ _id: 5, u: 3 })).toThrow(/E11000/);
    expect(() =>
      coll.replace({ _id: 3, g: 'b', u: 3 }, { _id: 3, g: 'b', u: 3, x: 1 }),
    ).not.toThrow();
    expect(ids({ $or: [{ u: 1 }, { u: 3 }, { u: 9 }] })).toEqual([4, 3]);
  });
});

describe('compileFastFilter with $type string', () => {
  it('agrees with mingo', () => {
    const docs: Doc[] = [{ a: 'x' }, { a: 1 }, { a: null }, {}, { a: ['x'] }, { a: { b: 'x' } }];
    for (const filter of [{ a: { $type: 'string' } }, { a: { $type: 2 } }]) {
      const fast = compileFastFilter(filter);
      expect(fast).toBeDefined();
      for (const doc of docs) {
        const r = fast?.(doc);
        if (r !== undefined) expect(r, JSON.stringify(doc)).toBe(new Query(filter).test(doc));
      }
    }
    expect(compileFastFilter({ a: { $type: 'number' } })).toBeUndefined();
  });
});

describe('prefix lookups on a compound index', () => {
  for (const builtEarly of [true, false]) {
    it(`find what a scan finds after inserts, updates and removals (built ${builtEarly ? 'before' : 'after'} the writes)`, () => {
      const coll = new Collection('db', 'm');
      coll.createIndex({
        name: 'c_s',
        key: { c: 1, s: 1 },
        unique: true,
        sparse: false,
        extra: {},
      });
      const prefix = (c: string): unknown[] => {
        const { docs, exact } = coll.candidates({ c });
        expect(exact).toBe(true); // equality on the only condition, answered by the index
        return docs.map((d) => d._id).sort();
      };
      const scan = (c: string): unknown[] =>
        [...coll.docs.values()]
          .filter((d) => d.c === c)
          .map((d) => d._id)
          .sort();
      coll.insert({ _id: 1, c: 'a', s: 1 });
      if (builtEarly) expect(prefix('a')).toEqual([1]);
      coll.insert({ _id: 2, c: 'a', s: 2 });
      coll.insert({ _id: 3, c: 'b', s: 1 });
      coll.replace({ _id: 2, c: 'a', s: 2 }, { _id: 2, c: 'b', s: 2 });
      coll.remove({ _id: 1, c: 'a', s: 1 });
      coll.insert({ _id: 4, c: 'a', s: 9 });
      for (const c of ['a', 'b', 'z']) expect(prefix(c), c).toEqual(scan(c));
      expect(prefix('b')).toEqual([2, 3]);
      // A candidate list that missed a document would show here as a shorter list.
      const total = coll.candidates({ c: { $in: ['a', 'b'] } }).docs.length;
      expect(total).toBe(3);
    });
  }
});
