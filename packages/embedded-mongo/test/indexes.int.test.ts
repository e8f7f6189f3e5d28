import { describe, expect, it } from 'vitest';
import { MongoServerError, type Document } from 'mongodb';
import { useMongo, waitFor } from './fixture.js';

const m = useMongo('em_indexes');

const dup = (e: unknown): MongoServerError => {
  expect(e).toBeInstanceOf(MongoServerError);
  return e as MongoServerError;
};

describe('unique indexes', () => {
  it('raises E11000 with keyPattern/keyValue on insert, update, upsert and findAndModify', async () => {
    const coll = m.db.collection('users');
    expect(await coll.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    await coll.insertMany([{ email: 'a@x' }, { email: 'b@x' }]);

    const onInsert = dup(await coll.insertOne({ email: 'a@x' }).catch((e: unknown) => e));
    expect(onInsert.code).toBe(11000);
    expect(onInsert.keyPattern).toEqual({ email: 1 });
    expect(onInsert.keyValue).toEqual({ email: 'a@x' });
    expect(onInsert.message).toContain(
      `E11000 duplicate key error collection: ${m.db.databaseName}.users index: email_1 dup key: { email: "a@x" }`,
    );

    const onUpdate = dup(
      await coll.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }).catch((e: unknown) => e),
    );
    expect(onUpdate).toMatchObject({ code: 11000, keyValue: { email: 'a@x' } });
    const onUpsert = dup(
      await coll
        .updateOne({ email: 'a@x', missing: true }, { $set: { n: 1 } }, { upsert: true })
        .catch((e: unknown) => e),
    );
    expect(onUpsert).toMatchObject({ code: 11000, keyPattern: { email: 1 } });
    const onFam = dup(
      await coll
        .findOneAndUpdate({ email: 'b@x' }, { $set: { email: 'a@x' } })
        .catch((e: unknown) => e),
    );
    expect(onFam).toMatchObject({
      code: 11000,
      codeName: 'DuplicateKey',
      keyValue: { email: 'a@x' },
    });
    // The failed writes changed nothing.
    expect(await coll.countDocuments({ email: 'b@x' })).toBe(1);
    expect(await coll.countDocuments()).toBe(2);
  });

  it('enforces compound, dotted and multikey unique keys', async () => {
    const coll = m.db.collection('members');
    await coll.createIndex({ conv: 1, 'who.id': 1 }, { unique: true, name: 'conv_who' });
    await coll.insertOne({ conv: 1, who: { id: 'u1' } });
    await coll.insertOne({ conv: 2, who: { id: 'u1' } });
    const e = dup(await coll.insertOne({ conv: 1, who: { id: 'u1' } }).catch((x: unknown) => x));
    expect(e).toMatchObject({
      code: 11000,
      keyPattern: { conv: 1, 'who.id': 1 },
      keyValue: { conv: 1, 'who.id': 'u1' },
    });

    const tags = m.db.collection('tags');
    await tags.createIndex({ t: 1 }, { unique: true });
    await tags.insertOne({ t: ['a', 'b'] });
    await tags.insertOne({ t: ['c', 'c'] }); // duplicates within one document are fine
    expect(dup(await tags.insertOne({ t: ['x', 'b'] }).catch((x: unknown) => x))).toMatchObject({
      code: 11000,
      keyValue: { t: 'b' },
    });
  });

  it('respects partialFilterExpression and sparse', async () => {
    const coll = m.db.collection('partial');
    await coll.createIndex(
      { handle: 1 },
      { unique: true, partialFilterExpression: { handle: { $type: 'string' } } },
    );
    await coll.insertMany([{ n: 1 }, { n: 2 }, { handle: 'h' }]);
    expect(dup(await coll.insertOne({ handle: 'h' }).catch((x: unknown) => x)).code).toBe(11000);

    const sparse = m.db.collection('sparse');
    await sparse.createIndex({ k: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ n: 1 }, { n: 2 }, { k: 1 }]);
    expect(dup(await sparse.insertOne({ k: 1 }).catch((x: unknown) => x)).code).toBe(11000);

    const plain = m.db.collection('nullkeys');
    await plain.createIndex({ k: 1 }, { unique: true });
    await plain.insertOne({ n: 1 });
    expect(dup(await plain.insertOne({ n: 2 }).catch((x: unknown) => x))).toMatchObject({
      code: 11000,
      keyValue: { k: null },
    });
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const coll = m.db.collection('prebuilt');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    await expect(coll.createIndex({ k: 1 }, { unique: true })).rejects.toMatchObject({
      code: 11000,
    });
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });
});

describe('index management', () => {
  it('creates, lists and drops indexes by name, key and "*"', async () => {
    const coll = m.db.collection('managed');
    await coll.insertOne({ a: 1 });
    await coll.createIndexes([{ key: { a: 1 } }, { key: { b: -1, c: 1 }, name: 'bc' }]);
    expect(await coll.createIndex({ a: 1 })).toBe('a_1'); // idempotent
    const list = await coll.listIndexes().toArray();
    expect(list.map((i) => i.name)).toEqual(['_id_', 'a_1', 'bc']);
    expect(list[2]).toMatchObject({ v: 2, key: { b: -1, c: 1 }, name: 'bc' });
    await expect(coll.createIndex({ z: 1 }, { name: 'bc' })).rejects.toMatchObject({ code: 86 });
    await coll.dropIndex('bc');
    await coll.dropIndex({ a: 1 } as unknown as string);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    await coll.createIndex({ x: 1 });
    await coll.dropIndexes();
    expect(await coll.indexExists('x_1')).toBe(false);
    await expect(coll.dropIndex('nope')).rejects.toMatchObject({
      code: 27,
      codeName: 'IndexNotFound',
    });
    await expect(coll.dropIndex('_id_')).rejects.toMatchObject({ code: 72 });
    await expect(m.db.collection('never').listIndexes().toArray()).rejects.toMatchObject({
      code: 26,
      codeName: 'NamespaceNotFound',
    });
  });

  it('finds through indexes with the same results as a scan', async () => {
    const coll = m.db.collection('lookup');
    await coll.createIndex({ conv: 1, seq: -1 });
    await coll.createIndex({ tags: 1 });
    await coll.insertMany(
      Array.from({ length: 300 }, (_, i) => ({
        conv: `c${i % 3}`,
        seq: i,
        tags: [`t${i % 5}`, 'all'],
      })),
    );
    const page = await coll.find({ conv: 'c1' }).sort({ seq: -1 }).limit(3).toArray();
    expect(page.map((d) => d.seq)).toEqual([298, 295, 292]);
    expect(await coll.countDocuments({ conv: 'c1', seq: { $lt: 10 } })).toBe(3);
    expect(await coll.countDocuments({ conv: { $in: ['c0', 'c2'] } })).toBe(200);
    expect(await coll.countDocuments({ tags: 't4' })).toBe(60);
    expect(await coll.countDocuments({ conv: 'c1', seq: 4 })).toBe(1);
    await coll.updateMany({ conv: 'c1' }, { $set: { conv: 'moved' } });
    expect(await coll.countDocuments({ conv: 'c1' })).toBe(0);
    expect(await coll.countDocuments({ conv: 'moved' })).toBe(100);
    await coll.deleteMany({ conv: 'moved' });
    expect(await coll.countDocuments({ conv: 'moved' })).toBe(0);
  });
});

describe('TTL indexes', () => {
  it('deletes expired documents', async () => {
    const coll = m.db.collection('ttl');
    await coll.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await coll.insertMany([
      { k: 'old', expiresAt: new Date(Date.now() - 1000) },
      { k: 'new', expiresAt: new Date(Date.now() + 3_600_000) },
      { k: 'none' },
    ] as Document[]);
    // A real mongod sweeps every 60 s; the embedded server every second.
    await waitFor(
      async () => (await coll.countDocuments({ k: 'old' })) === 0,
      m.real ? 70_000 : 5_000,
    );
    expect((await coll.find({}).toArray()).map((d) => d.k).sort()).toEqual(['new', 'none']);
    const [, ttlIndex] = await coll.listIndexes().toArray();
    expect(ttlIndex).toMatchObject({ expireAfterSeconds: 0 });
  });
});
