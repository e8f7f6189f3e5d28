import { describe, expect, it } from 'vitest';
import { Binary, Long, MaxKey, MinKey, ObjectId, type Document } from 'mongodb';
import { useMongo } from './fixture.js';

const m = useMongo('em_crud');

describe('insert and find', () => {
  it('inserts with a generated ObjectId _id and finds by it', async () => {
    const coll = m.db.collection('docs');
    const { insertedId } = await coll.insertOne({ name: 'a' });
    expect(insertedId).toBeInstanceOf(ObjectId);
    const found = await coll.findOne({ _id: new ObjectId(insertedId.toHexString()) });
    expect(found).toEqual({ _id: insertedId, name: 'a' });
    expect(Object.keys(found ?? {})[0]).toBe('_id');
  });

  it('reports duplicate _id in writeErrors and honours ordered/unordered', async () => {
    const coll = m.db.collection('ordered');
    await coll.insertOne({ _id: 1 } as Document);
    const ordered = await coll
      .insertMany([{ _id: 2 }, { _id: 1 }, { _id: 3 }] as Document[])
      .catch((e: unknown) => e);
    expect(ordered).toMatchObject({ code: 11000, result: { insertedCount: 1 } });
    expect((ordered as { writeErrors: { index: number }[] }).writeErrors[0]?.index).toBe(1);
    const unordered = await coll
      .insertMany([{ _id: 4 }, { _id: 1 }, { _id: 5 }] as Document[], { ordered: false })
      .catch((e: unknown) => e);
    expect(unordered).toMatchObject({ code: 11000, result: { insertedCount: 2 } });
    expect(await coll.countDocuments()).toBe(4); // 1, 2, 4, 5
  });

  it('filters with comparison, logical, element, array and regex operators', async () => {
    const coll = m.db.collection('ops');
    await coll.insertMany([
      { n: 1, tags: ['a', 'b'], s: 'apple', sub: { x: 1 } },
      { n: 2, tags: ['b'], s: 'banana', sub: { x: 2 } },
      {
        n: 3,
        s: 'cherry',
        items: [
          { k: 1, v: 'x' },
          { k: 2, v: 'y' },
        ],
      },
    ]);
    const ns = async (filter: Document): Promise<number[]> =>
      (await coll.find(filter).sort({ n: 1 }).toArray()).map((d) => d.n as number);
    expect(await ns({ n: { $gt: 1 } })).toEqual([2, 3]);
    expect(await ns({ n: { $in: [1, 3] } })).toEqual([1, 3]);
    expect(await ns({ n: { $nin: [1, 3] } })).toEqual([2]);
    expect(await ns({ $or: [{ n: 1 }, { s: 'cherry' }] })).toEqual([1, 3]);
    expect(await ns({ $and: [{ n: { $gte: 2 } }, { n: { $lt: 3 } }] })).toEqual([2]);
    expect(await ns({ tags: 'b' })).toEqual([1, 2]);
    expect(await ns({ tags: { $all: ['a', 'b'] } })).toEqual([1]);
    expect(await ns({ tags: { $size: 1 } })).toEqual([2]);
    expect(await ns({ tags: { $exists: false } })).toEqual([3]);
    expect(await ns({ s: { $regex: '^b' } })).toEqual([2]);
    expect(await ns({ s: /an/ })).toEqual([2]);
    expect(await ns({ 'sub.x': 2 })).toEqual([2]);
    expect(await ns({ items: { $elemMatch: { k: 2, v: 'y' } } })).toEqual([3]);
    expect(await ns({ 'items.k': 1 })).toEqual([3]);
    expect(await ns({ n: { $not: { $gt: 1 } } })).toEqual([1]);
    expect(await ns({ $expr: { $gt: ['$n', 2] } })).toEqual([3]);
    expect(await ns({ n: { $ne: 2 } })).toEqual([1, 3]);
  });

  it('matches ObjectId and Date values with $eq/$in/$ne/$gt', async () => {
    const coll = m.db.collection('bsontypes');
    const ids = [new ObjectId(), new ObjectId(), new ObjectId()];
    const at = (i: number): Date => new Date(Date.UTC(2024, 0, 1 + i));
    await coll.insertMany(ids.map((owner, i) => ({ owner, at: at(i), i })));
    const is = async (filter: Document): Promise<number[]> =>
      (await coll.find(filter).sort({ i: 1 }).toArray()).map((d) => d.i as number);
    expect(await is({ owner: new ObjectId(ids[1]?.toHexString()) })).toEqual([1]);
    expect(await is({ owner: { $in: [ids[0], ids[2]] } })).toEqual([0, 2]);
    expect(await is({ owner: { $ne: ids[0] } })).toEqual([1, 2]);
    expect(await is({ at: { $gt: at(0) } })).toEqual([1, 2]);
    expect(await is({ at: { $lte: at(1) } })).toEqual([0, 1]);
    expect(await is({ at: at(2) })).toEqual([2]);
    const byId = await coll.find({ owner: { $gt: ids[0] } }).toArray();
    expect(byId.map((d) => d.i)).toEqual([1, 2]);
  });

  it('projects with inclusion, exclusion, $slice and $elemMatch', async () => {
    const coll = m.db.collection('proj');
    await coll.insertOne({
      _id: 1,
      a: 1,
      b: { c: 2, d: 3 },
      arr: [1, 2, 3, 4],
      items: [{ k: 1 }, { k: 2 }],
    } as Document);
    expect(await coll.findOne({}, { projection: { a: 1 } })).toEqual({ _id: 1, a: 1 });
    expect(await coll.findOne({}, { projection: { a: 1, _id: 0 } })).toEqual({ a: 1 });
    expect(await coll.findOne({}, { projection: { 'b.c': 1 } })).toEqual({ _id: 1, b: { c: 2 } });
    expect(await coll.findOne({}, { projection: { b: 0, arr: 0, items: 0 } })).toEqual({
      _id: 1,
      a: 1,
    });
    expect(await coll.findOne({}, { projection: { arr: { $slice: 2 }, a: 1 } })).toEqual({
      _id: 1,
      a: 1,
      arr: [1, 2],
    });
    expect(await coll.findOne({}, { projection: { items: { $elemMatch: { k: 2 } } } })).toEqual({
      _id: 1,
      items: [{ k: 2 }],
    });
  });

  it('sorts, skips and limits (incl. negative limit)', async () => {
    const coll = m.db.collection('paging');
    await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ seq: i, conv: i % 2 })));
    const page = await coll.find({ conv: 1 }).sort({ seq: -1 }).skip(1).limit(3).toArray();
    expect(page.map((d) => d.seq)).toEqual([17, 15, 13]);
    const neg = await coll.find({}).sort({ seq: 1 }).limit(-4).toArray();
    expect(neg.map((d) => d.seq)).toEqual([0, 1, 2, 3]);
    const multi = await coll.find({}).sort({ conv: -1, seq: 1 }).limit(2).toArray();
    expect(multi.map((d) => d.seq)).toEqual([1, 3]);
  });

  it('sorts mixed types in BSON type order', async () => {
    const coll = m.db.collection('mixed');
    const oid = new ObjectId();
    const values: unknown[] = [
      new MaxKey(),
      true,
      new Date(0),
      oid,
      new Binary(Buffer.from('x')),
      [5],
      { a: 1 },
      'str',
      2.5,
      Long.fromNumber(1),
      null,
      new MinKey(),
    ];
    await coll.insertMany(values.map((v, i) => ({ i, v })));
    await coll.insertOne({ i: 99 }); // missing sorts with null
    const order = (await coll.find({}).sort({ v: 1, i: 1 }).toArray()).map((d) => d.i);
    // MinKey < null/missing < numbers < string < object < array(min element 5 → number bracket) ...
    expect(order).toEqual([11, 10, 99, 9, 8, 5, 7, 6, 4, 3, 1, 2, 0]);
  });

  it('counts and distinct values', async () => {
    const coll = m.db.collection('distinct');
    await coll.insertMany([
      { t: ['x', 'y'], g: 1 },
      { t: 'y', g: 1 },
      { t: 'z', g: 2 },
    ]);
    expect((await coll.distinct('t')).sort()).toEqual(['x', 'y', 'z']);
    expect((await coll.distinct('t', { g: 1 })).sort()).toEqual(['x', 'y']);
    expect(await coll.countDocuments({ g: 1 })).toBe(2);
    expect(await coll.countDocuments({}, { limit: 2 })).toBe(2);
    expect(await coll.estimatedDocumentCount()).toBe(3);
    expect(await m.db.collection('nope').countDocuments()).toBe(0);
  });

  it('deletes one or many', async () => {
    const coll = m.db.collection('del');
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]);
    expect((await coll.deleteOne({ k: 1 })).deletedCount).toBe(1);
    expect((await coll.deleteMany({})).deletedCount).toBe(2);
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('cursors', () => {
  it('iterates with getMore across batches and kills cursors', async () => {
    const coll = m.db.collection('cursor');
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const all = await coll.find({}, { batchSize: 7 }).sort({ i: 1 }).toArray();
    expect(all.map((d) => d.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));

    const firstBatch = await m.db.command({
      find: 'cursor',
      filter: {},
      sort: { i: 1 },
      batchSize: 10,
    });
    const cursor = firstBatch.cursor as { id: Long | number; firstBatch: Document[]; ns: string };
    expect(cursor.firstBatch).toHaveLength(10);
    expect(cursor.ns).toBe(`${m.db.databaseName}.cursor`);
    const id = Long.fromValue(cursor.id);
    expect(id.isZero()).toBe(false);
    const more = await m.db.command({ getMore: id, collection: 'cursor', batchSize: 5 });
    expect((more.cursor as { nextBatch: Document[] }).nextBatch.map((d) => d.i)).toEqual([
      10, 11, 12, 13, 14,
    ]);
    const killed = await m.db.command({ killCursors: 'cursor', cursors: [id] });
    expect(killed.cursorsKilled).toHaveLength(1);
    await expect(m.db.command({ getMore: id, collection: 'cursor' })).rejects.toMatchObject({
      code: 43,
      codeName: 'CursorNotFound',
    });
  });

  it('closes a cursor when the driver stops early', async () => {
    const coll = m.db.collection('cursor');
    const cursor = coll.find({}, { batchSize: 3 });
    const first = await cursor.next();
    expect(first).not.toBeNull();
    const id = cursor.id;
    expect(id && !id.isZero()).toBe(true);
    await cursor.close();
    await expect(m.db.command({ getMore: id, collection: 'cursor' })).rejects.toMatchObject({
      code: 43,
    });
  });
});
