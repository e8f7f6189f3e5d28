import { describe, expect, it } from 'vitest';
import { ObjectId, type Document } from 'mongodb';
import { useMongo } from './fixture.js';

const m = useMongo('em_update');

interface OpsDoc {
  _id: number;
  a: number;
  arr: number[];
  s?: string;
  t?: string;
  nested: { c: number };
  touched?: Date;
}

describe('update', () => {
  it('applies operators and reports n/nModified', async () => {
    const coll = m.db.collection<OpsDoc>('ops');
    await coll.insertOne({ _id: 1, a: 1, arr: [1, 2], s: 'x', nested: { c: 1 } });
    const res = await coll.updateOne(
      { _id: 1 },
      {
        $inc: { a: 2, 'nested.c': 1 },
        $push: { arr: 3 },
        $set: { s: 'y', 'new.deep': true },
        $unset: { missing: '' },
        $currentDate: { touched: true },
      },
    );
    expect(res).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const doc = await coll.findOne({ _id: 1 });
    expect(doc).toMatchObject({
      a: 3,
      arr: [1, 2, 3],
      s: 'y',
      nested: { c: 2 },
      new: { deep: true },
    });
    expect(doc?.touched).toBeInstanceOf(Date);
    await expect(
      coll.updateOne({ _id: 1 }, { $addToSet: { arr: 3 }, $pull: { arr: 1 } }),
    ).rejects.toMatchObject({
      code: 40,
      index: 0, // a writeErrors entry: mongod sends no codeName there
    });
    await coll.updateOne(
      { _id: 1 },
      { $addToSet: { arr: 3 }, $max: { a: 10 }, $min: { 'nested.c': 0 }, $rename: { s: 't' } },
    );
    await coll.updateOne({ _id: 1 }, { $pull: { arr: 1 } });
    expect(await coll.findOne({ _id: 1 })).toMatchObject({
      arr: [2, 3],
      a: 10,
      nested: { c: 0 },
      t: 'y',
    });
    const same = await coll.updateOne({ _id: 1 }, { $set: { a: 10 } });
    expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
  });

  it('updates many and replaces documents, keeping _id', async () => {
    const coll = m.db.collection('many');
    await coll.insertMany([
      { g: 1, v: 0 },
      { g: 1, v: 0 },
      { g: 2, v: 0 },
    ]);
    expect(await coll.updateMany({ g: 1 }, { $set: { v: 1 } })).toMatchObject({
      matchedCount: 2,
      modifiedCount: 2,
    });
    const target = await coll.findOne({ g: 2 });
    const rep = await coll.replaceOne({ g: 2 }, { g: 3, replaced: true });
    expect(rep).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll.findOne({ g: 3 })).toEqual({ _id: target?._id, g: 3, replaced: true });
    await expect(coll.replaceOne({ g: 3 }, { _id: new ObjectId(), g: 4 })).rejects.toMatchObject({
      code: 66,
      index: 0,
    });
  });

  it('upserts from the equality fields of the query', async () => {
    const coll = m.db.collection('upsert');
    const res = await coll.updateOne(
      { userId: 'u1', 'meta.kind': 'dm', count: { $gt: 5 } },
      { $inc: { n: 1 }, $setOnInsert: { createdAt: new Date(0) } },
      { upsert: true },
    );
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedId).toBeInstanceOf(ObjectId);
    const doc = await coll.findOne({ _id: res.upsertedId as ObjectId });
    expect(doc).toEqual({
      _id: res.upsertedId,
      userId: 'u1',
      meta: { kind: 'dm' },
      n: 1,
      createdAt: new Date(0),
    });
    const again = await coll.updateOne(
      { userId: 'u1' },
      { $inc: { n: 1 }, $setOnInsert: { createdAt: new Date(1) } },
      { upsert: true },
    );
    expect(again).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect((await coll.findOne({ userId: 'u1' }))?.createdAt).toEqual(new Date(0));
    const withId = await coll.updateOne(
      { _id: 'fixed' } as Document,
      { $set: { x: 1 } },
      { upsert: true },
    );
    expect(withId.upsertedId).toBe('fixed');
    const replaced = await coll.replaceOne({ key: 'k' }, { key: 'k', body: 1 }, { upsert: true });
    expect(replaced.upsertedCount).toBe(1);
  });

  it('uses arrayFilters and the positional operator', async () => {
    const coll = m.db.collection('arrays');
    await coll.insertOne({
      _id: 1,
      members: [
        { u: 'a', read: 0 },
        { u: 'b', read: 0 },
        { u: 'c', read: 5 },
      ],
    } as Document);
    await coll.updateOne(
      { _id: 1 } as Document,
      { $set: { 'members.$[m].read': 9 } },
      { arrayFilters: [{ 'm.read': { $lt: 5 } }] },
    );
    expect((await coll.findOne({ _id: 1 } as Document))?.members).toEqual([
      { u: 'a', read: 9 },
      { u: 'b', read: 9 },
      { u: 'c', read: 5 },
    ]);
    await coll.updateOne({ _id: 1, 'members.u': 'b' } as Document, {
      $set: { 'members.$.read': 1 },
    });
    expect((await coll.findOne({ _id: 1 } as Document))?.members).toEqual([
      { u: 'a', read: 9 },
      { u: 'b', read: 1 },
      { u: 'c', read: 5 },
    ]);
  });

  it('runs pipeline updates', async () => {
    const coll = m.db.collection('pipeline');
    await coll.insertOne({ _id: 1, a: 2, b: 3 } as Document);
    const res = await coll.updateOne({ _id: 1 } as Document, [
      { $set: { sum: { $add: ['$a', '$b'] } } },
      { $unset: 'b' },
    ]);
    expect(res.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, a: 2, sum: 5 });
    const up = await coll.updateOne({ _id: 2 } as Document, [{ $set: { created: true } }], {
      upsert: true,
    });
    expect(up.upsertedId).toBe(2);
    expect(await coll.findOne({ _id: 2 } as Document)).toEqual({ _id: 2, created: true });
  });

  it('rejects unknown update operators', async () => {
    const coll = m.db.collection('bad');
    await coll.insertOne({ a: 1 });
    await expect(coll.updateOne({}, { $frobnicate: { a: 1 } } as Document)).rejects.toMatchObject({
      code: 9,
      index: 0,
    });
  });
});

describe('findAndModify', () => {
  it('returns before/after documents, sorts, projects and removes', async () => {
    const coll = m.db.collection('fam');
    await coll.insertMany([
      { q: 1, v: 1 },
      { q: 1, v: 2 },
      { q: 2, v: 3 },
    ]);
    const before = await coll.findOneAndUpdate(
      { q: 1 },
      { $inc: { v: 10 } },
      { sort: { v: -1 }, projection: { _id: 0 } },
    );
    expect(before).toEqual({ q: 1, v: 2 });
    const after = await coll.findOneAndUpdate(
      { q: 1 },
      { $inc: { v: 10 } },
      { sort: { v: -1 }, returnDocument: 'after' },
    );
    expect(after).toMatchObject({ q: 1, v: 22 });
    const meta = await coll.findOneAndUpdate(
      { q: 9 },
      { $set: { v: 0 } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(meta.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(meta.lastErrorObject?.upserted).toBeInstanceOf(ObjectId);
    expect(meta.value).toMatchObject({ q: 9, v: 0 });
    const none = await coll.findOneAndUpdate(
      { q: 42 },
      { $set: { v: 0 } },
      { includeResultMetadata: true },
    );
    expect(none).toMatchObject({ value: null, lastErrorObject: { n: 0, updatedExisting: false } });
    const removed = await coll.findOneAndDelete({ q: 2 });
    expect(removed).toMatchObject({ q: 2, v: 3 });
    expect(await coll.countDocuments({ q: 2 })).toBe(0);
    const replaced = await coll.findOneAndReplace({ q: 9 }, { q: 10 }, { returnDocument: 'after' });
    expect(replaced).toMatchObject({ q: 10 });
    const piped = await coll.findOneAndUpdate(
      { q: 10 },
      [{ $set: { doubled: { $multiply: [2, '$q'] } } }],
      { returnDocument: 'after' },
    );
    expect(piped).toMatchObject({ q: 10, doubled: 20 });
  });

  it('gives 50 concurrent $inc callers 50 distinct values', async () => {
    const coll = m.db.collection('counter');
    await coll.insertOne({ _id: 'seq', n: 0 } as Document);
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => m.client.db(m.db.databaseName)),
    );
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (clients[i % clients.length] ?? m.db)
          .collection('counter')
          .findOneAndUpdate(
            { _id: 'seq' } as Document,
            { $inc: { n: 1 } },
            { returnDocument: 'after' },
          ),
      ),
    );
    const values = results.map((r) => r?.n as number).sort((a, b) => a - b);
    expect(new Set(values).size).toBe(50);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
