import { describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { connectMongo } from '../src/index.js';
import { useStore } from './fixture.js';

const ctx = useStore();

const names = async (coll: { listIndexes(): { toArray(): Promise<Record<string, unknown>[]> } }) =>
  (await coll.listIndexes().toArray()).map((i) => String(i['name'])).sort();

describe('ensureIndexes on a database from before the shard-key indexes', () => {
  it('drops the replaced membership indexes and builds the new ones, keeping the pair unique', async () => {
    const { server } = ctx;
    const dbName = `${server.databaseName}_old`;
    const store = await connectMongo({ url: server.url, dbName });
    try {
      const { db } = store;
      await db.collection('memberships').createIndexes([
        { name: 'conversation_user_unique', key: { conversationId: 1, userId: 1 }, unique: true },
        { name: 'user_conversation', key: { userId: 1, conversationId: 1 } },
      ]);
      const [conversationId, userId] = [new ObjectId(), new ObjectId()];
      await db.collection('memberships').insertOne({ conversationId, userId });

      await store.ensureIndexes();
      await store.ensureIndexes();

      expect(await names(db.collection('memberships'))).toEqual([
        '_id_',
        'conversation_user',
        'user_conversation_unique',
      ]);
      await expect(
        db.collection('memberships').insertOne({ conversationId, userId }),
      ).rejects.toThrow(/duplicate key/);
    } finally {
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    }
  });
});
