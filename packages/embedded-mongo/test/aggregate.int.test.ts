import { describe, expect, it } from 'vitest';
import { ObjectId, type Document } from 'mongodb';
import { useMongo } from './fixture.js';

const m = useMongo('em_aggregate');

describe('aggregate', () => {
  it('runs $match/$group/$sort/$project/$limit/$skip/$count/$addFields/$set/$unwind/$facet', async () => {
    const coll = m.db.collection('orders');
    await coll.insertMany([
      { user: 'a', total: 5, items: ['x', 'y'] },
      { user: 'a', total: 7, items: ['y'] },
      { user: 'b', total: 1, items: [] },
      { user: 'c', total: 4, items: ['z'] },
    ]);
    const grouped = await coll
      .aggregate([
        { $match: { total: { $gte: 2 } } },
        { $group: { _id: '$user', sum: { $sum: '$total' }, n: { $sum: 1 } } },
        { $sort: { sum: -1 } },
        { $project: { _id: 0, user: '$_id', sum: 1, big: { $gt: ['$sum', 5] } } },
      ])
      .toArray();
    expect(grouped).toEqual([
      { sum: 12, user: 'a', big: true },
      { sum: 4, user: 'c', big: false },
    ]);
    const unwound = await coll
      .aggregate([
        { $unwind: '$items' },
        { $sortByCount: '$items' },
        { $sort: { count: -1, _id: 1 } },
      ])
      .toArray();
    expect(unwound).toEqual([
      { _id: 'y', count: 2 },
      { _id: 'x', count: 1 },
      { _id: 'z', count: 1 },
    ]);
    const [counted] = await coll.aggregate([{ $match: { user: 'a' } }, { $count: 'n' }]).toArray();
    expect(counted).toEqual({ n: 2 });
    const paged = await coll
      .aggregate([
        { $sort: { total: 1 } },
        { $skip: 1 },
        { $limit: 2 },
        { $set: { t2: { $multiply: ['$total', 2] } } },
        { $addFields: { one: 1 } },
        { $project: { _id: 0, total: 1, t2: 1, one: 1 } },
      ])
      .toArray();
    expect(paged).toEqual([
      { total: 4, t2: 8, one: 1 },
      { total: 5, t2: 10, one: 1 },
    ]);
    const [facets] = await coll
      .aggregate([
        {
          $facet: {
            count: [{ $count: 'n' }],
            top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 0, user: 1 } }],
          },
        },
      ])
      .toArray();
    expect(facets).toEqual({ count: [{ n: 4 }], top: [{ user: 'a' }] });
    // The input documents are not changed by stages that add fields.
    expect(await coll.findOne({ user: 'c' }, { projection: { _id: 0 } })).toEqual({
      user: 'c',
      total: 4,
      items: ['z'],
    });
  });

  it('joins other collections with $lookup (localField and pipeline forms)', async () => {
    const users = m.db.collection('lk_users');
    const msgs = m.db.collection('lk_msgs');
    const u1 = new ObjectId();
    const u2 = new ObjectId();
    await users.insertMany([
      { _id: u1, name: 'ann' },
      { _id: u2, name: 'bob' },
    ]);
    await msgs.insertMany([
      { from: u1, text: 'hi', n: 1 },
      { from: u2, text: 'yo', n: 2 },
      { from: u1, text: 'again', n: 3 },
    ]);
    const joined = await msgs
      .aggregate([
        { $sort: { n: 1 } },
        { $lookup: { from: 'lk_users', localField: 'from', foreignField: '_id', as: 'sender' } },
        { $unwind: '$sender' },
        { $project: { _id: 0, text: 1, name: '$sender.name' } },
      ])
      .toArray();
    expect(joined).toEqual([
      { text: 'hi', name: 'ann' },
      { text: 'yo', name: 'bob' },
      { text: 'again', name: 'ann' },
    ]);
    const withPipeline = await users
      .aggregate([
        { $sort: { name: 1 } },
        {
          $lookup: {
            from: 'lk_msgs',
            let: { uid: '$_id' },
            pipeline: [{ $match: { $expr: { $eq: ['$from', '$$uid'] } } }, { $count: 'n' }],
            as: 'stats',
          },
        },
        { $project: { _id: 0, name: 1, n: { $first: '$stats.n' } } },
      ])
      .toArray();
    expect(withPipeline).toEqual([
      { name: 'ann', n: 2 },
      { name: 'bob', n: 1 },
    ]);
  });

  it('returns results through cursors with batchSize', async () => {
    const coll = m.db.collection('agg_cursor');
    await coll.insertMany(Array.from({ length: 120 }, (_, i) => ({ i })));
    const all = await coll.aggregate([{ $sort: { i: -1 } }], { batchSize: 25 }).toArray();
    expect(all).toHaveLength(120);
    expect(all[0]?.i).toBe(119);
    expect(
      await m.db
        .collection('agg_missing')
        .aggregate([{ $match: {} }])
        .toArray(),
    ).toEqual([]);
  });

  it('rejects unknown stages', async () => {
    const coll = m.db.collection('orders');
    await expect(coll.aggregate([{ $frobnicate: {} } as Document]).toArray()).rejects.toMatchObject(
      { code: 40324 },
    );
  });
});
