import { MongoServerError, type Collection, type Document } from 'mongodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { useMongo } from './fixture.js';

/*
 * MongoDB 7.0 behaviour the embedded server must match or refuse with MongoDB's error shape:
 * `let`, collation (locale + strength), dotted/dollar field rules, strict command parsing
 * (40415, which also refuses the 8.0-only `sort` of updateOne/replaceOne), collMod, and
 * NotImplemented for what it does not do. With MONGO_URL set the same file runs against a
 * real MongoDB; expectations about refusals of our own are then skipped (`fx.real`).
 */
const fx = useMongo('conformance');

// Numeric _ids: the fixture documents read like the cases of MongoDB's CRUD specification.
let coll: Collection<{ _id: number } & Document>;
let n = 0;
beforeEach(async () => {
  coll = fx.db.collection(`c${n++}`);
  await coll.insertMany([
    { _id: 1, x: 1, name: 'alice' },
    { _id: 2, x: 2, name: 'Bob' },
    { _id: 3, x: 3, name: 'ALICE' },
    { _id: 4, x: 4, name: 'bob' },
  ]);
});

const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof MongoServerError ? (e.code as number) : -1),
  );

describe('let', () => {
  const byVar = { $expr: { $eq: ['$x', '$$v'] } };

  it('find and aggregate see $$ variables', async () => {
    expect(await coll.find(byVar, { let: { v: 2 } }).toArray()).toEqual([
      { _id: 2, x: 2, name: 'Bob' },
    ]);
    const out = await coll
      .aggregate(
        [{ $match: byVar }, { $project: { _id: 0, x: 1, twice: { $add: ['$$v', '$$v'] } } }],
        {
          let: { v: 3 },
        },
      )
      .toArray();
    expect(out).toEqual([{ x: 3, twice: 6 }]);
  });

  it('evaluates let values as expressions once', async () => {
    expect(
      (await coll.find(byVar, { let: { v: { $add: [1, 3] } } }).toArray()).map((d) => d._id),
    ).toEqual([4]);
  });

  it('update (filter and pipeline), delete, findOneAndUpdate and bulkWrite see them', async () => {
    const res = await coll.updateOne(byVar, [{ $set: { tag: '$$t' } }], {
      let: { v: 1, t: 'one' },
    });
    expect(res.modifiedCount).toBe(1);
    expect((await coll.findOne({ _id: 1 }))?.tag).toBe('one');
    const found = await coll.findOneAndUpdate(
      byVar,
      { $set: { seen: true } },
      {
        let: { v: 2 },
        returnDocument: 'after',
      },
    );
    expect(found?.seen).toBe(true);
    expect((await coll.deleteMany(byVar, { let: { v: 3 } })).deletedCount).toBe(1);
    const bulk = await coll.bulkWrite(
      [
        { updateOne: { filter: byVar, update: [{ $set: { bulk: '$$v' } }] } },
        { deleteOne: { filter: { $expr: { $eq: ['$x', { $add: ['$$v', 0] }] } } } },
      ],
      { let: { v: 4 } },
    );
    expect([bulk.modifiedCount, bulk.deletedCount]).toEqual([1, 1]);
    expect((await coll.find().toArray()).map((d) => d._id)).toEqual([1, 2]);
  });
});

describe('collation', () => {
  const caseless = { locale: 'en', strength: 2 };

  it('compares strings by locale and strength in find, count, update and delete', async () => {
    const found = await coll.find({ name: 'ALICE' }, { collation: caseless }).toArray();
    expect(found.map((d) => d._id)).toEqual([1, 3]);
    expect(await coll.countDocuments({ name: { $in: ['bob'] } }, { collation: caseless })).toBe(2);
    expect(await coll.countDocuments({ name: { $gt: 'B' } }, { collation: caseless })).toBe(2);
    expect(await coll.countDocuments({ name: 'bob' })).toBe(1);
    expect(
      (await coll.updateMany({ name: 'BOB' }, { $set: { b: 1 } }, { collation: caseless }))
        .modifiedCount,
    ).toBe(2);
    expect((await coll.deleteMany({ name: 'Alice' }, { collation: caseless })).deletedCount).toBe(
      2,
    );
    expect(await coll.countDocuments()).toBe(2);
  });

  it('base strength ignores accents too; tertiary (the default) does not ignore case', async () => {
    await coll.insertOne({ _id: 5, name: 'álice' });
    const base = await coll
      .find({ name: 'alice' }, { collation: { locale: 'fr', strength: 1 } })
      .toArray();
    expect(base.map((d) => d._id)).toEqual([1, 3, 5]);
    const tertiary = await coll.find({ name: 'alice' }, { collation: { locale: 'fr' } }).toArray();
    expect(tertiary.map((d) => d._id)).toEqual([1]);
  });

  it('sorts in locale order in find and aggregate', async () => {
    const binary = await coll.find({}, { sort: { name: 1 } }).toArray();
    expect(binary.map((d) => d.name)).toEqual(['ALICE', 'Bob', 'alice', 'bob']);
    const sorted = await coll
      .find({}, { sort: { name: 1, _id: 1 }, collation: caseless })
      .toArray();
    expect(sorted.map((d) => d._id)).toEqual([1, 3, 2, 4]);
    const agg = await coll
      .aggregate([{ $match: { name: { $ne: 'BOB' } } }, { $sort: { name: -1, _id: 1 } }], {
        collation: caseless,
      })
      .toArray();
    expect(agg.map((d) => d._id)).toEqual([1, 3]);
  });

  it('refuses an unknown collation field and an invalid locale', async () => {
    expect(
      await codeOf(coll.find({}, { collation: { locale: 'en', bogus: 1 } as never }).toArray()),
    ).toBe(40415);
    expect(await codeOf(coll.find({}, { collation: { locale: 'xx_notalocale' } }).toArray())).toBe(
      2,
    );
  });

  it('embedded: what Intl.Collator cannot do is refused, not answered binary', async () => {
    if (fx.real) return;
    for (const collation of [
      { locale: 'en', caseFirst: 'upper' as const },
      { locale: 'en', strength: 4 },
    ])
      expect(await codeOf(coll.find({ name: 'a' }, { collation }).toArray())).toBe(238);
    expect(
      await codeOf(
        coll.find({ $expr: { $eq: ['$name', 'alice'] } }, { collation: caseless }).toArray(),
      ),
    ).toBe(238);
    // $regex ignores collations in MongoDB too: answered, case-sensitively.
    expect(await coll.countDocuments({ name: /^a/ }, { collation: caseless })).toBe(1);
    expect(
      await codeOf(
        coll.aggregate([{ $group: { _id: '$name' } }], { collation: caseless }).toArray(),
      ),
    ).toBe(238);
    expect(await codeOf(coll.createIndex({ name: 1 }, { collation: caseless }))).toBe(238);
  });
});

describe('field names (MongoDB 7.0 rules)', () => {
  it('accepts top-level dotted field names in a replacement', async () => {
    await coll.replaceOne({ _id: 1 }, { 'a.b': 1, plain: 2 });
    const doc = await coll.findOne({ _id: 1 });
    expect(doc?.['a.b']).toBe(1);
    expect(doc?.plain).toBe(2);
  });

  it('refuses $-prefixed field names inside _id with DollarPrefixedFieldName (52)', async () => {
    expect(await codeOf(coll.insertOne({ _id: { $bad: 1 } as never }))).toBe(52);
    expect(await codeOf(coll.replaceOne({ _id: 2 }, { _id: { $bad: 1 } as never }))).toBe(52);
  });
});

describe('strict parsing and version behaviour', () => {
  it('answers 40415 for an unknown field of find, update statements and delete', async () => {
    expect(await codeOf(fx.db.command({ find: coll.collectionName, bogus: 1 }))).toBe(40415);
    expect(
      await codeOf(
        fx.db.command({
          update: coll.collectionName,
          updates: [{ q: {}, u: { $set: { a: 1 } }, bogus: 1 }],
        }),
      ),
    ).toBe(40415);
    expect(
      await codeOf(
        fx.db.command({ delete: coll.collectionName, deletes: [{ q: {}, limit: 0, bogus: 1 }] }),
      ),
    ).toBe(40415);
  });

  it('refuses the 8.0-only sort of an update statement when it reports 7.x', async () => {
    const version = (await fx.db.admin().command({ buildInfo: 1 })).version as string;
    if (Number(version.split('.')[0]) >= 8) return;
    const sorted = fx.db.command({
      update: coll.collectionName,
      updates: [{ q: {}, u: { $set: { first: true } }, sort: { x: -1 } }],
    });
    expect(await codeOf(sorted)).toBe(40415);
    expect(await coll.countDocuments({ first: true })).toBe(0);
  });

  it('embedded: $out and $merge answer NotImplemented (238)', async () => {
    if (fx.real) return;
    expect(await codeOf(coll.aggregate([{ $out: 'copy' }]).toArray())).toBe(238);
    expect(await codeOf(coll.aggregate([{ $merge: { into: 'copy' } }]).toArray())).toBe(238);
  });
});

describe('collMod', () => {
  it("changes a TTL index's expireAfterSeconds by key pattern or name", async () => {
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 60, name: 'ttl' });
    const reply = await fx.db.command({
      collMod: coll.collectionName,
      index: { keyPattern: { at: 1 }, expireAfterSeconds: 120 },
    });
    expect([reply.expireAfterSeconds_old, reply.expireAfterSeconds_new]).toEqual([60, 120]);
    await fx.db.command({
      collMod: coll.collectionName,
      index: { name: 'ttl', expireAfterSeconds: 90 },
    });
    const ttl = (await coll.listIndexes().toArray()).find((i) => i.name === 'ttl');
    expect(ttl?.expireAfterSeconds).toBe(90);
  });

  it('answers NamespaceNotFound (26) for a missing collection', async () => {
    expect(
      await codeOf(
        fx.db.command({
          collMod: 'missing_collection',
          index: { name: 'x', expireAfterSeconds: 1 },
        }),
      ),
    ).toBe(26);
  });
});
