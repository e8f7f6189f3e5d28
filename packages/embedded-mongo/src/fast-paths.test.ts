import { ObjectId } from 'bson';
import { find, Query, update as mingoUpdate } from 'mingo';
import type { Modifier } from 'mingo/updater';
import { describe, expect, it } from 'vitest';
import { cloneDoc, keyOf, type Doc } from './bson-values.js';
import { compileFastFilter } from './fast-filter.js';
import { fastUpdate } from './fast-update.js';
import { Collection } from './collection.js';
import { project } from './projection.js';
import { compileFilter, sortDocs } from './query.js';

const oid = new ObjectId();
const other = new ObjectId();
const when = new Date('2026-01-01T00:00:00Z');

const DOCS: Doc[] = [
  { _id: oid, a: 1, s: 'x', d: when, n: null },
  { _id: other, a: 2.5, s: 'y', b: true },
  { _id: 3, a: '1', s: 'x', d: new Date(when.getTime() + 1) },
  { _id: 4, s: 'z', nested: { k: 1 } },
  { _id: 5, a: 0, s: '', b: false, n: 7 },
];

const FILTERS: Doc[] = [
  { a: 1 },
  { _id: oid },
  { _id: other, s: 'y' },
  { a: { $gt: 0 } },
  { a: { $gte: 1, $lt: 3 } },
  { a: { $lte: '1' } },
  { a: { $ne: 1 } },
  { a: { $in: [1, '1', 0] } },
  { a: { $exists: false } },
  { n: { $exists: true } },
  { n: { $ne: 7 } },
  { d: { $gt: when } },
  { d: when },
  { b: false },
  { s: 'x', a: { $eq: 1 } },
  { $or: [{ a: 1 }, { s: 'y' }] },
  {
    $or: [
      { _id: oid, s: 'x' },
      { _id: 3, s: 'x' },
      { _id: 4, s: 'nope' },
    ],
  },
  { $or: [{ a: { $gt: 1 } }, { b: false }], s: { $ne: '' } },
  { $and: [{ a: { $gte: 0 } }, { s: 'x' }] },
  { $or: [{ $and: [{ s: 'x' }, { d: when }] }, { n: 7 }] },
];

describe('compileFastFilter', () => {
  it('agrees with mingo on the shapes it accepts', () => {
    for (const filter of FILTERS) {
      const fast = compileFastFilter(filter);
      expect(fast, JSON.stringify(filter)).toBeDefined();
      const query = new Query(filter);
      for (const doc of DOCS) {
        expect(fast?.(doc), `${JSON.stringify(filter)} on ${keyOf(doc)}`).toBe(query.test(doc));
      }
    }
  });

  it('declines shapes it does not cover', () => {
    for (const filter of [
      { 'a.b': 1 },
      { $nor: [{ a: 1 }] },
      { $or: [{ a: 1 }, { a: /x/ }] },
      { $or: [] },
      { a: null },
      { a: { $in: [null] } },
      { a: /x/ },
      { a: { $size: 1 } },
      { a: { b: 1 } },
    ]) {
      expect(compileFastFilter(filter), JSON.stringify(filter)).toBeUndefined();
    }
  });

  it('defers documents whose field is an array or embedded document to mingo', () => {
    expect(compileFastFilter({ a: 1 })?.({ a: [1, 2] })).toBeUndefined();
    // One clause declines, none matches: undecided. One clause matches: decided.
    expect(
      compileFastFilter({ $or: [{ a: 1 }, { s: 'x' }] })?.({ a: [1], s: 'y' }),
    ).toBeUndefined();
    expect(compileFastFilter({ $or: [{ a: 1 }, { s: 'x' }] })?.({ a: [1], s: 'x' })).toBe(true);
    expect(compileFastFilter({ $and: [{ a: 1 }, { s: 'x' }] })?.({ a: [1], s: 'y' })).toBe(false);
    expect(
      compileFastFilter({ nested: { $exists: true } })?.({ nested: { k: 1 } }),
    ).toBeUndefined();
  });
});

const UPDATES: Doc[] = [
  { $set: { s: 'new', 'nested.k': 2 } },
  { $set: { 'deep.er.path': 1 } },
  { $inc: { a: 1, fresh: 5 } },
  { $max: { d: new Date(when.getTime() + 10), a: 2 } },
  { $min: { d: new Date(0), s: 'a' } },
  { $unset: { s: '', missing: '', 'nested.k': '', 'no.such.path': '' } },
  { $set: { s: 'x' } },
  { $max: { a: -1 } },
];

describe('fastUpdate', () => {
  it('produces what mingo produces and leaves the stored document untouched', () => {
    for (const u of UPDATES) {
      for (const doc of DOCS) {
        const before = keyOf(doc);
        const copy = cloneDoc(doc);
        let mingoFailed = false;
        let fields: string[] = [];
        try {
          fields = mingoUpdate(copy, u as Modifier<Doc>, [], {}) as string[];
        } catch {
          mingoFailed = true;
        }
        const fast = fastUpdate(doc, u);
        expect(keyOf(doc), 'stored document mutated').toBe(before);
        if (fast === undefined) continue; // declined: mingo decides
        expect(mingoFailed, `${JSON.stringify(u)} on ${before}`).toBe(false);
        expect(keyOf(fast.doc), `${JSON.stringify(u)} on ${before}`).toBe(keyOf(copy));
        expect(fast.modified, `${JSON.stringify(u)} on ${before}`).toBe(fields.length > 0);
      }
    }
  });

  it('declines $inc on a non-number, positional paths and _id', () => {
    expect(fastUpdate({ _id: 1, s: 'x' }, { $inc: { s: 1 } })).toBeUndefined();
    expect(fastUpdate({ _id: 1, arr: [{ a: 1 }] }, { $set: { 'arr.0.a': 2 } })).toBeUndefined();
    expect(fastUpdate({ _id: 1, arr: [{ a: 1 }] }, { $set: { 'arr.$.a': 2 } })).toBeUndefined();
    expect(fastUpdate({ _id: 1 }, { $set: { _id: 2 } })).toBeUndefined();
    expect(fastUpdate({ _id: 1, arr: [1] }, { $set: { 'arr.x': 2 } })).toBeUndefined();
  });
});

describe('sortDocs with a small limit', () => {
  it('returns the same first documents as a full sort, ties in original order', () => {
    const docs: Doc[] = Array.from({ length: 500 }, (_, i) => ({
      _id: i,
      seq: (i * 7919) % 97,
      s: i % 3 === 0 ? 'a' : 1,
    }));
    for (const spec of [{ seq: 1 }, { seq: -1 }, { s: 1, seq: -1 }]) {
      const full = sortDocs(docs, spec).slice(0, 25);
      expect(sortDocs(docs, spec, 25).map((d) => d._id)).toEqual(full.map((d) => d._id));
    }
  });
});

describe('project with a simple inclusion', () => {
  it('matches mingo for top-level inclusions, with and without _id', () => {
    for (const projection of [
      { a: 1 },
      { a: 1, s: true },
      { _id: 0, s: 1, missing: 1 },
      { _id: 1, b: 1 },
    ]) {
      expect(project(DOCS, projection, undefined)).toEqual(find(DOCS, {}, projection).all());
    }
  });
});

describe('Collection.orderedScan', () => {
  // The ordered lists are built on the first scan: once before the writes (then maintained by
  // them), once after (then built from the final documents). Both must agree with a full sort.
  for (const builtEarly of [true, false]) {
    it(`returns what filter + sort + limit returns, after inserts, updates and removals (lists built ${builtEarly ? 'before' : 'after'} the writes)`, () => {
      const coll = new Collection('db', 'messages');
      coll.createIndex({
        name: 'c_s',
        key: { c: 1, s: 1 },
        unique: false,
        sparse: false,
        extra: {},
      });
      const convs = ['a', 'b'];
      for (let i = 0; i < 300; i++)
        coll.insert({ _id: i, c: convs[i % 2], s: (i * 37) % 101, h: i % 5 === 0 ? ['x'] : [] });
      if (builtEarly) expect(coll.orderedScan({ c: 'a' }, { s: 1 }, 1, () => true)).toHaveLength(1);
      // Updates move documents within the order; removals take them out; inserts add.
      for (let i = 0; i < 300; i += 7) {
        const doc = coll.docs.get(keyOf(i)) as Doc;
        coll.replace(doc, { ...doc, s: (doc.s as number) + 50 });
      }
      for (let i = 3; i < 300; i += 11) coll.remove(coll.docs.get(keyOf(i)) as Doc);
      for (let i = 300; i < 340; i++) coll.insert({ _id: i, c: convs[i % 2], s: (i * 13) % 120 });
      const cases: [Doc, Doc, number][] = [
        [{ c: 'a' }, { s: 1 }, 10],
        [{ c: 'a', s: { $gt: 40 } }, { s: 1 }, 25],
        [{ c: 'b', s: { $gte: 40, $lt: 90 } }, { s: 1 }, 100],
        [{ c: 'b', s: { $lt: 60 } }, { s: -1 }, 15],
        [{ c: 'a', s: { $lte: 60 }, h: { $ne: 'x' } }, { s: -1 }, 20],
        [{ c: 'zzz' }, { s: 1 }, 5],
      ];
      for (const [filter, sort, limit] of cases) {
        const scanned = coll.orderedScan(filter, sort, limit, compileFilter(filter));
        expect(scanned, JSON.stringify(filter)).toBeDefined();
        const match = compileFilter(filter);
        const expected = sortDocs([...coll.docs.values()].filter(match), sort).slice(0, limit);
        // Values must agree exactly; ties (equal s) may come in any order, as in MongoDB.
        expect(
          scanned?.map((d) => d.s),
          JSON.stringify(filter),
        ).toEqual(expected.map((d) => d.s));
        expect(new Set(scanned?.map((d) => d._id)).size).toBe(scanned?.length);
      }
    });
  }

  it('declines when no two-field index has the sort field second', () => {
    const coll = new Collection('db', 'x');
    coll.insert({ _id: 1, c: 'a', s: 1 });
    expect(coll.orderedScan({ c: 'a' }, { s: 1 }, 5, () => true)).toBeUndefined();
  });

  it('stops offering the order once a document is multikey on the index', () => {
    const coll = new Collection('db', 'x');
    coll.createIndex({ name: 'c_s', key: { c: 1, s: 1 }, unique: false, sparse: false, extra: {} });
    coll.insert({ _id: 1, c: 'a', s: 2 });
    expect(coll.orderedScan({ c: 'a' }, { s: 1 }, 5, () => true)).toHaveLength(1);
    coll.insert({ _id: 2, c: 'a', s: [1, 3] });
    expect(coll.orderedScan({ c: 'a' }, { s: 1 }, 5, () => true)).toBeUndefined();
  });
});

describe('Collection.candidates with $or', () => {
  const coll = new Collection('db', 'messages');
  coll.createIndex({ name: 's_c', key: { s: 1, c: 1 }, unique: true, sparse: false, extra: {} });
  coll.createIndex({ name: 'k', key: { k: 1 }, unique: false, sparse: false, extra: {} });
  for (let i = 0; i < 400; i++)
    coll.insert({ _id: i, s: `u${i % 20}`, c: `m${i}`, k: i % 7, t: i % 3 === 0 ? [i] : i });
  const all = [...coll.docs.values()];

  const cases: { filter: Doc; indexed: boolean }[] = [
    {
      filter: {
        $or: [
          { s: 'u1', c: 'm1' },
          { s: 'u2', c: 'm22' },
          { s: 'u3', c: 'm3' },
        ],
      },
      indexed: true,
    },
    {
      filter: { $or: [{ _id: 5 }, { _id: { $in: [6, 7, 5] } }, { s: 'u9', c: 'm9' }] },
      indexed: true,
    },
    {
      filter: {
        $or: [
          { s: 'u1', c: 'm1' },
          { s: 'u1', c: 'm1' },
        ],
      },
      indexed: true,
    },
    { filter: { $or: [{ s: 'u1' }, { k: 3 }] }, indexed: true },
    {
      filter: {
        $or: [
          { s: 'u1', c: 'm1' },
          { k: 2, t: { $gt: 100 } },
        ],
        t: { $ne: 2 },
      },
      indexed: true,
    },
    {
      filter: {
        $or: [
          { s: 'u4', c: 'm4', t: 4 },
          { s: 'u5', c: 'm5', t: 6 },
        ],
      },
      indexed: true,
    },
    { filter: { $or: [{ $or: [{ k: 1 }, { _id: 2 }] }, { s: 'u6', c: 'm6' }] }, indexed: true },
    { filter: { $or: [{ s: 'u1', c: 'm1' }, { t: 3 }] }, indexed: false },
    { filter: { $or: [{ s: 'u1', c: 'm1' }, { c: 'm2' }] }, indexed: false },
  ];

  it('returns exactly what a full scan returns, from the index when every clause has one', () => {
    for (const { filter, indexed } of cases) {
      const expected = all.filter((d) => new Query(filter).test(d)).map((d) => d._id);
      const { docs, exact } = coll.candidates(filter);
      const match = compileFilter(filter);
      const got = (exact ? docs : docs.filter(match)).map((d) => d._id);
      expect([...got].sort(), JSON.stringify(filter)).toEqual([...expected].sort());
      expect(new Set(got).size, 'no duplicates').toBe(got.length);
      if (indexed) expect(docs.length, JSON.stringify(filter)).toBeLessThan(all.length / 2);
      else expect(docs.length, JSON.stringify(filter)).toBe(all.length);
    }
  });

  it('is exact only when the $or is the whole filter and every clause lookup is exact', () => {
    expect(coll.candidates({ $or: [{ s: 'u1', c: 'm1' }, { _id: 3 }] }).exact).toBe(true);
    expect(
      coll.candidates({
        $or: [
          { s: 'u1', c: 'm1' },
          { s: 'u1', t: 1 },
        ],
      }).exact,
    ).toBe(false);
    expect(coll.candidates({ $or: [{ s: 'u1', c: 'm1' }], k: 1 }).exact).toBe(false);
  });
});

describe('Collection.candidates with a partial index', () => {
  // The send path's idempotency key: unique (senderId, clientMsgId) for string clientMsgIds only.
  const coll = new Collection('db', 'messages');
  coll.createIndex({
    name: 'sender_cmid',
    key: { s: 1, c: 1 },
    unique: true,
    sparse: false,
    partialFilterExpression: { c: { $type: 'string' } },
    extra: {},
  });
  for (let i = 0; i < 400; i++)
    coll.insert({ _id: i, s: `u${i % 20}`, c: i % 10 === 0 ? i : `m${i}` });
  const all = [...coll.docs.values()];

  const cases: { filter: Doc; indexed: boolean }[] = [
    // Equality on a string implies { c: { $type: 'string' } }: every match is in the index.
    { filter: { s: 'u1', c: 'm1' }, indexed: true },
    {
      filter: {
        $or: [
          { s: 'u1', c: 'm1' },
          { s: 'u2', c: 'm22' },
        ],
      },
      indexed: true,
    },
    // A number is not in the partial index: only a scan finds { c: 10 }.
    { filter: { s: 'u10', c: 10 }, indexed: false },
    { filter: { s: 'u3', c: { $in: ['m3', 30] } }, indexed: false },
    // No equality on the partial filter's field: the index cannot answer.
    { filter: { s: 'u1' }, indexed: false },
  ];

  it('is used only when the equalities imply the partial filter, and misses nothing', () => {
    for (const { filter, indexed } of cases) {
      const expected = all.filter((d) => new Query(filter).test(d)).map((d) => d._id);
      const { docs, exact } = coll.candidates(filter);
      const got = (exact ? docs : docs.filter(compileFilter(filter))).map((d) => d._id);
      expect([...got].sort(), JSON.stringify(filter)).toEqual([...expected].sort());
      expect(expected.length, JSON.stringify(filter)).toBeGreaterThan(0);
      if (indexed) expect(docs.length, JSON.stringify(filter)).toBeLessThan(10);
      else expect(docs.length, JSON.stringify(filter)).toBe(all.length);
    }
  });
});

describe('Collection.replace keeps the indexes in step with copy-on-write updates', () => {
  it('re-keys only what changed, including dotted paths and partial-filter fields', () => {
    const coll = new Collection('db', 'users');
    const spec = { unique: true, sparse: false, extra: {} };
    coll.createIndex({ ...spec, name: 'pk', key: { 'p.k': 1 } });
    coll.createIndex({
      ...spec,
      name: 'email_active',
      key: { email: 1 },
      partialFilterExpression: { active: true },
    });
    coll.insert({ _id: 1, p: { k: 'a' }, email: 'x@y', active: true, n: 0 });
    coll.insert({ _id: 2, p: { k: 'b' }, email: 'x@y', active: false, n: 0 });
    const update = (id: number, u: Doc): void => {
      const doc = coll.docs.get(keyOf(id)) as Doc;
      const res = fastUpdate(doc, u);
      expect(res, JSON.stringify(u)).toBeDefined();
      coll.replace(doc, (res as { doc: Doc }).doc);
    };
    const ids = (filter: Doc): unknown[] =>
      matchingIds(coll.candidates(filter), compileFilter(filter));

    update(1, { $inc: { n: 1 } }); // no indexed field touched
    expect(ids({ 'p.k': 'a' })).toEqual([1]);
    update(1, { $set: { 'p.k': 'c' } }); // dotted indexed path: new embedded object
    expect(ids({ 'p.k': 'a' })).toEqual([]);
    expect(ids({ 'p.k': 'c' })).toEqual([1]);
    expect(() => update(2, { $set: { 'p.k': 'c' } })).toThrow(/E11000/);
    // Activating 2 puts it into the partial unique index, where 1 already holds x@y.
    expect(() => update(2, { $set: { active: true } })).toThrow(/E11000/);
    update(1, { $set: { active: false } });
    update(2, { $set: { active: true } });
    expect(() => update(1, { $set: { active: true } })).toThrow(/E11000/);
  });
});

function matchingIds(
  { docs, exact }: { docs: Doc[]; exact: boolean },
  match: (d: Doc) => boolean,
): unknown[] {
  return (exact ? docs : docs.filter(match)).map((d) => d._id);
}
