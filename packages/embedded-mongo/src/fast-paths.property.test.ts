import { ObjectId } from 'bson';
import fc from 'fast-check';
import { Query, update as mingoUpdate } from 'mingo';
import type { Modifier } from 'mingo/updater';
import { describe, expect, it } from 'vitest';
import { cloneDoc, keyOf, type Doc } from './bson-values.js';
import { compileFastFilter } from './fast-filter.js';
import { fastUpdate } from './fast-update.js';

/*
 * Property tests: on random documents and random filters/updates of the shapes the fast paths
 * take, a fast path either declines (undefined) or gives mingo's answer. fast-paths.test.ts
 * holds the hand-picked cases and the documented differences (where the fast path follows
 * MongoDB rather than mingo), which these generators avoid.
 */

/** Documents come off the wire as plain objects; fast-check would also make null-prototype ones. */
const record: typeof fc.record = ((model: never, constraints?: object) =>
  fc.record(model, { ...constraints, noNullPrototype: true })) as typeof fc.record;
const IDS = [new ObjectId(), new ObjectId(), new ObjectId()];
const DATES = [new Date('2026-01-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z')];

const scalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -1.5, 2.25),
  fc.constantFrom('', 'a', 'b', 'ab', 'B'),
  fc.boolean(),
  fc.constantFrom(...IDS),
  fc.constantFrom(...DATES),
);
/** Stored values: scalars plus what the fast matcher must defer or compare carefully. */
const stored = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: record({ k: scalar }) },
);
const FIELDS = ['a', 'b', 'c'] as const;
const doc: fc.Arbitrary<Doc> = fc
  .record(
    { _id: fc.constantFrom(...IDS, 1, 2, 'x'), a: stored, b: stored, c: stored },
    { requiredKeys: ['_id'] },
  )
  .map((d) => d as Doc);

const condition: fc.Arbitrary<unknown> = fc.oneof(
  scalar,
  record({ $eq: scalar }),
  record({ $ne: scalar }),
  record({ $gt: scalar }),
  record({ $gte: scalar }),
  record({ $lt: scalar }),
  record({ $lte: scalar }),
  record({ $gte: scalar, $lt: scalar }),
  record({ $in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  record({ $nin: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  record({ $exists: fc.boolean() }),
);
const fieldFilter: fc.Arbitrary<Doc> = fc
  .dictionary(fc.constantFrom(...FIELDS, '_id'), condition, { minKeys: 1, maxKeys: 3 })
  .map((d) => d as Doc);
const filter: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 3, arbitrary: fieldFilter },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('$or', '$and'), fc.array(fieldFilter, { minLength: 1, maxLength: 3 }))
      .map(([op, clauses]): Doc => ({ [op]: clauses })),
  },
);

describe('fast paths agree with mingo (property tests)', () => {
  it('compileFastFilter: declines, defers a document, or answers as mingo does', () => {
    let answered = 0;
    fc.assert(
      fc.property(filter, fc.array(doc, { minLength: 1, maxLength: 6 }), (f, docs) => {
        const fast = compileFastFilter(f);
        if (!fast) return;
        const query = new Query(f);
        for (const d of docs) {
          const answer = fast(d);
          if (answer === undefined) continue;
          answered++;
          expect(answer, `${JSON.stringify(f)} on ${keyOf(d)}`).toBe(query.test(d));
        }
      }),
      { numRuns: 400 },
    );
    // The generators must reach the fast path, or the property proves nothing.
    expect(answered).toBeGreaterThan(200);
  });

  const field = fc.constantFrom('a', 'b', 'n.x', 'n.y');
  const update: fc.Arbitrary<Doc> = fc
    .record(
      {
        $set: fc.dictionary(field, scalar, { minKeys: 1, maxKeys: 2 }),
        $inc: fc.dictionary(field, fc.integer({ min: -2, max: 2 }), { minKeys: 1, maxKeys: 2 }),
        $unset: fc.dictionary(field, fc.constant(''), { minKeys: 1, maxKeys: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((u) => u as Doc);
  const numericDoc: fc.Arbitrary<Doc> = fc
    .record(
      {
        _id: fc.constantFrom(1, 2),
        a: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant('s')),
        b: fc.integer({ min: -3, max: 3 }),
        n: record({ x: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
      },
      { requiredKeys: ['_id'] },
    )
    .map((d) => d as Doc);

  it('fastUpdate: declines, or builds the document mingo builds and reports the same change', () => {
    let applied = 0;
    fc.assert(
      fc.property(numericDoc, update, (d, u) => {
        const paths = Object.values(u).flatMap((args) => Object.keys(args as Doc));
        // Two operators on one path (or a path and its prefix) are refused before any fast path.
        const conflict = paths.some((p, i) =>
          paths.some((q, j) => i !== j && (p === q || p.startsWith(`${q}.`))),
        );
        if (Object.keys(u).length === 0 || conflict) return;
        let fast;
        try {
          fast = fastUpdate(d, u);
        } catch {
          return; // a MongoDB error ($inc of a string): mingo's path decides then
        }
        if (!fast) return;
        applied++;
        const copy = cloneDoc(d);
        const changed = mingoUpdate(copy, u as Modifier<Doc>, [], {});
        expect(keyOf(fast.doc), JSON.stringify(u)).toBe(keyOf(copy));
        expect(fast.modified).toBe(changed.length > 0);
      }),
      { numRuns: 400 },
    );
    expect(applied).toBeGreaterThan(100);
  });
});
