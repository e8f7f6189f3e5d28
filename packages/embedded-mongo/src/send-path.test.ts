import { Int32, Long, ObjectId } from 'bson';
import { aggregate, find } from 'mingo';
import { describe, expect, it } from 'vitest';
import { cloneDoc, keyOf, sameKey, type Doc } from './bson-values.js';
import { project } from './query.js';
import { applyUpdate } from './update.js';

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
  { _id: 'c', s: '$notAPath', arr: [{ a: 1 }, { a: 2 }] },
];

/** allocateMany's pipeline (packages/store conversations.repository.ts), then other shapes. */
const PIPELINES: Doc[][] = [
  [
    {
      $set: {
        seq: { $add: ['$seq', 2] },
        lastMessage: { $literal: { id: token, text: '$looks like a path', kind: 'text' } },
        lastActivityAt: { $max: ['$lastActivityAt', when] },
      },
    },
    {
      $set: {
        seqGrants: {
          $slice: [
            {
              $concatArrays: [
                { $ifNull: ['$seqGrants', []] },
                [{ t: { $literal: token }, s: '$seq' }],
              ],
            },
            -16,
          ],
        },
      },
    },
  ],
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
