import { describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { connectMongo, DuplicateKeyError, type MongoStore } from '../src/index.js';
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

describe('ensureIndexes switching MONGO_SHARDED either way', () => {
  const messageIndexes = async (store: MongoStore) =>
    (await names(store.db.collection('messages'))).filter((n) => n.includes('clientMsgId'));

  it('to sharded: backfills the proxies, swaps the index; back: restores it', async () => {
    const { server } = ctx;
    const dbName = `${server.databaseName}_switch`;
    const [conversationId, senderId] = [new ObjectId(), new ObjectId()];
    /** The clientMsgId from before the switch, in another conversation: must stay CONFLICT. */
    const reuseElsewhere = (store: MongoStore) =>
      store.messages.insert({
        conversationId: new ObjectId(),
        seq: 1,
        senderId,
        clientMsgId: 'old',
      });
    const unsharded = await connectMongo({ url: server.url, dbName });
    try {
      await unsharded.ensureIndexes();
      await unsharded.messages.insert({ conversationId, seq: 1, senderId, clientMsgId: 'old' });
      expect(await messageIndexes(unsharded)).toEqual(['sender_clientMsgId_unique']);
    } finally {
      await unsharded.close();
    }

    const sharded = await connectMongo({ url: server.url, dbName, sharded: true });
    try {
      await sharded.ensureIndexes();
      await sharded.ensureIndexes();
      expect(await messageIndexes(sharded)).toEqual(['conversation_sender_clientMsgId_unique']);
      // The message from before the switch has its proxy: found, and CONFLICT elsewhere.
      expect((await sharded.messages.findByClientMsgId(senderId, 'old'))?.seq).toBe(1);
      await expect(reuseElsewhere(sharded)).rejects.toBeInstanceOf(DuplicateKeyError);
    } finally {
      await sharded.close();
    }

    const back = await connectMongo({ url: server.url, dbName });
    try {
      await back.ensureIndexes();
      expect(await messageIndexes(back)).toEqual(['sender_clientMsgId_unique']);
      await expect(reuseElsewhere(back)).rejects.toBeInstanceOf(DuplicateKeyError);
    } finally {
      await back.db.dropDatabase().catch(() => undefined);
      await back.close();
    }
  });
});
