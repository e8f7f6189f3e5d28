import { describe, expect, it } from 'vitest';
import { MongoBulkWriteError, type Document } from 'mongodb';
import { useMongo } from './fixture.js';

/**
 * The batched command shapes the store sends (one command for many concurrent requests). Every
 * assertion here is what a real MongoDB answers: run with MONGO_URL to check parity.
 */
const m = useMongo('em_batched');

const sortedKeys = (d: unknown): string[] => Object.keys(d as Document).sort();

describe('batched insert, ordered: false', () => {
  it('inserts every document but the duplicates and reports exactly those in writeErrors', async () => {
    const coll = m.db.collection('messages');
    await coll.createIndex({ senderId: 1, clientMsgId: 1 }, { unique: true });
    await coll.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
    await coll.insertMany([
      { _id: 'm1', senderId: 'a', clientMsgId: 'x', conversationId: 'c', seq: 1 },
      { _id: 'm2', senderId: 'b', clientMsgId: 'y', conversationId: 'c', seq: 2 },
    ] as Document[]);

    const reply = await m.db.command({
      insert: 'messages',
      ordered: false,
      documents: [
        { _id: 'm3', senderId: 'a', clientMsgId: 'z', conversationId: 'c', seq: 3 },
        { _id: 'm4', senderId: 'a', clientMsgId: 'x', conversationId: 'c', seq: 4 }, // retry of m1
        { _id: 'm5', senderId: 'c', clientMsgId: 'x', conversationId: 'c', seq: 5 },
        { _id: 'm2', senderId: 'd', clientMsgId: 'w', conversationId: 'c', seq: 6 }, // same _id
        { _id: 'm6', senderId: 'e', clientMsgId: 'v', conversationId: 'c', seq: 5 }, // same seq as m5
        { _id: 'm7', senderId: 'f', clientMsgId: 'u', conversationId: 'd', seq: 1 },
      ],
    });
    expect(reply).toMatchObject({ ok: 1, n: 3 });
    const errors = reply.writeErrors as Document[];
    expect(errors.map((e) => e.index)).toEqual([1, 3, 4]);
    // Real MongoDB writes index, code, errmsg and the DuplicateKey details (no codeName).
    for (const e of errors)
      expect(sortedKeys(e)).toEqual(['code', 'errmsg', 'index', 'keyPattern', 'keyValue']);
    expect(errors[0]).toMatchObject({
      code: 11000,
      keyPattern: { senderId: 1, clientMsgId: 1 },
      keyValue: { senderId: 'a', clientMsgId: 'x' },
    });
    expect(errors[0]?.errmsg).toBe(
      `E11000 duplicate key error collection: ${m.db.databaseName}.messages index: senderId_1_clientMsgId_1 dup key: { senderId: "a", clientMsgId: "x" }`,
    );
    expect(errors[1]).toMatchObject({
      code: 11000,
      keyPattern: { _id: 1 },
      keyValue: { _id: 'm2' },
    });
    expect(errors[2]).toMatchObject({
      code: 11000,
      keyPattern: { conversationId: 1, seq: 1 },
      keyValue: { conversationId: 'c', seq: 5 },
    });
    const ids = (await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    expect(ids.sort()).toEqual(['m1', 'm2', 'm3', 'm5', 'm7']);
    // The failed insert of 'm2' did not touch the stored document.
    expect(await coll.findOne({ _id: 'm2' } as Document)).toMatchObject({ senderId: 'b' });
  });

  it('surfaces through the driver as MongoBulkWriteError with per-document indexes', async () => {
    const coll = m.db.collection('driver_insert');
    await coll.createIndex({ k: 1 }, { unique: true });
    await coll.insertOne({ k: 1 });
    const err = await coll
      .insertMany([{ k: 2 }, { k: 1 }, { k: 3 }, { k: 2 }], { ordered: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(bulk.result.insertedCount).toBe(2);
    const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    expect(writeErrors.map((e) => [e.index, e.code])).toEqual([
      [1, 11000],
      [3, 11000],
    ]);
    // The driver keeps only errmsg of the server's entry: the index name is in it.
    expect(writeErrors[1]?.errmsg).toContain('index: k_1 dup key: { k: 2 }');
    expect(await coll.countDocuments()).toBe(3);
  });
});

describe('batched update, ordered: false', () => {
  it('counts matched and modified statements and reports failing ones by index', async () => {
    const coll = m.db.collection('members');
    await coll.createIndex({ conversationId: 1, userId: 1 }, { unique: true });
    await coll.insertMany([
      { _id: 1, conversationId: 'c', userId: 'u1', readSeq: 2, seq: 3 },
      { _id: 2, conversationId: 'c', userId: 'u2', readSeq: 6, seq: 3 },
      { _id: 3, conversationId: 'c', userId: 'u3', readSeq: 4, seq: 9 },
      { _id: 4, conversationId: 'c', userId: 'u4', readSeq: 0, seq: 1 },
    ] as Document[]);

    const reply = await m.db.command({
      update: 'members',
      ordered: false,
      updates: [
        { q: { _id: 1, readSeq: { $lt: 5 } }, u: { $set: { readSeq: 5 } } }, // modified
        { q: { _id: 2, readSeq: { $lt: 5 } }, u: { $set: { readSeq: 5 } } }, // no match
        { q: { _id: 3, readSeq: { $lt: 5 } }, u: { $set: { readSeq: 4 } } }, // match, no change
        { q: { _id: 4, seq: { $lt: 7 } }, u: { $set: { userId: 'u1' } } }, // E11000
        { q: { _id: 4, seq: { $lt: 7 } }, u: { $set: { t: 'x' }, $max: { seq: 7 } } }, // modified
        { q: { _id: 99, seq: { $lt: 7 } }, u: { $set: { t: 'x' } } }, // no document
        { q: { _id: 3, seq: { $lt: 7 } }, u: { $set: { t: 'x' }, $max: { seq: 7 } } }, // seq 9
      ],
    });
    expect(reply).toMatchObject({ ok: 1, n: 4, nModified: 2 });
    expect(reply.upserted).toBeUndefined();
    const errors = reply.writeErrors as Document[];
    expect(errors).toHaveLength(1);
    expect(sortedKeys(errors[0])).toEqual(['code', 'errmsg', 'index', 'keyPattern', 'keyValue']);
    expect(errors[0]).toMatchObject({
      index: 3,
      code: 11000,
      keyPattern: { conversationId: 1, userId: 1 },
      keyValue: { conversationId: 'c', userId: 'u1' },
    });
    const docs = await coll.find({}, { sort: { _id: 1 } }).toArray();
    expect(docs.map((d) => [d._id, d.userId, d.readSeq, d.seq, d.t])).toEqual([
      [1, 'u1', 5, 3, undefined],
      [2, 'u2', 6, 3, undefined],
      [3, 'u3', 4, 9, undefined],
      [4, 'u4', 0, 7, 'x'],
    ]);
  });

  it('surfaces through the driver bulkWrite as matched/modified counts', async () => {
    const coll = m.db.collection<{ _id: number; readSeq: number }>('driver_update');
    await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, readSeq: i })));
    const res = await coll.bulkWrite(
      Array.from({ length: 10 }, (_, i) => ({
        updateOne: { filter: { _id: i, readSeq: { $lt: 5 } }, update: { $set: { readSeq: 5 } } },
      })),
      { ordered: false },
    );
    expect([res.matchedCount, res.modifiedCount, res.upsertedCount]).toEqual([5, 5, 0]);
    expect(await coll.countDocuments({ readSeq: 5 })).toBe(6);
  });
});

describe('batched find', () => {
  it('answers an $or of compound-key equalities with exactly the matching documents', async () => {
    const coll = m.db.collection('blocks');
    await coll.createIndex({ blockerId: 1, blockedId: 1 }, { unique: true });
    const pairs: [string, string][] = [];
    for (let i = 0; i < 30; i++) pairs.push([`u${i % 6}`, `u${(i * 7) % 11}`]);
    const unique = [...new Map(pairs.map((p) => [p.join('/'), p])).values()];
    await coll.insertMany(unique.map(([blockerId, blockedId]) => ({ blockerId, blockedId })));

    const asked: [string, string][] = [
      ...unique.slice(0, 8),
      ['nobody', 'u1'],
      ['u1', 'nobody'],
      unique[0] as [string, string], // asked twice, returned once
    ];
    const found = await coll
      .find(
        { $or: asked.map(([blockerId, blockedId]) => ({ blockerId, blockedId })) },
        { projection: { _id: 0, blockerId: 1, blockedId: 1 } },
      )
      .toArray();
    const got = found.map((d) => `${String(d.blockerId)}/${String(d.blockedId)}`).sort();
    expect(got).toEqual(
      unique
        .slice(0, 8)
        .map((p) => p.join('/'))
        .sort(),
    );
  });

  it('combines an $or with other conditions and with clauses that need a scan', async () => {
    const coll = m.db.collection('memberships');
    await coll.createIndex({ conversationId: 1, userId: 1 }, { unique: true });
    await coll.insertMany(
      Array.from({ length: 40 }, (_, i) => ({
        conversationId: `c${i % 4}`,
        userId: `u${i}`,
        role: i % 5 === 0 ? 'admin' : 'member',
      })),
    );
    const clauses = [
      { conversationId: 'c0', userId: 'u0' },
      { conversationId: 'c1', userId: 'u1' },
      { conversationId: 'c1', userId: 'u5' },
      { conversationId: 'c2', userId: 'u1' }, // no such membership
    ];
    const admins = await coll.find({ $or: clauses, role: 'admin' }).toArray();
    expect(admins.map((d) => d.userId).sort()).toEqual(['u0', 'u5']);
    const mixed = await coll.find({ $or: [...clauses, { role: 'admin' }] }).toArray();
    expect(mixed.map((d) => d.userId).sort()).toEqual(
      ['u0', 'u1', 'u10', 'u15', 'u20', 'u25', 'u30', 'u35', 'u5'].sort(),
    );
  });

  it('answers $in on _id and on an indexed field with a projection', async () => {
    const coll = m.db.collection<{ _id: number; conversationId: string }>('conversations');
    await coll.createIndex({ conversationId: 1 });
    await coll.insertMany(
      Array.from({ length: 20 }, (_, i) => ({
        _id: i,
        conversationId: `c${i % 5}`,
        title: `t${i}`,
        secret: 's',
      })),
    );
    const byId = await coll
      .find({ _id: { $in: [3, 7, 7, 42] } }, { projection: { title: 1 } })
      .toArray();
    expect(byId.sort((a, b) => a._id - b._id)).toEqual([
      { _id: 3, title: 't3' },
      { _id: 7, title: 't7' },
    ]);
    const byConv = await coll
      .find(
        { conversationId: { $in: ['c1', 'c4'] } },
        { projection: { _id: 0, conversationId: 1 } },
      )
      .toArray();
    expect(byConv).toHaveLength(8);
    expect(byConv.every((d) => sortedKeys(d).join() === 'conversationId')).toBe(true);
  });
});
