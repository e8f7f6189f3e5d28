import { ObjectId, type MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DuplicateKeyError, type MongoStore } from '../src/index.js';
import { useStore } from './fixture.js';

/**
 * MONGO_SHARDED: messages' idempotency index is `(conversationId, senderId, clientMsgId)` and the
 * cross-conversation rule is the `clientMsgIds` proxy (src/client-msg-ids.ts). On the embedded
 * server, as on an unsharded mongod: the rules must hold without the unsharded index.
 */
const ctx = useStore({ sharded: true });

const fresh = () => ({ conversationId: new ObjectId(), senderId: new ObjectId() });
const rejection = (r: PromiseSettledResult<unknown>) =>
  r.status === 'rejected' ? r.reason : undefined;

async function inserts(client: MongoClient): Promise<number> {
  const status = (await client.db('admin').command({ serverStatus: 1 })) as {
    metrics?: { commands?: Record<string, { total?: number }> };
  };
  return Number(status.metrics?.commands?.['insert']?.total ?? 0);
}

async function messagesOf(store: MongoStore, senderId: ObjectId, clientMsgId: string) {
  return store.db.collection('messages').countDocuments({ senderId, clientMsgId });
}

describe('sharded mode: clientMsgId rules through the proxy', () => {
  it('builds the sharded index set: no (senderId, clientMsgId) index left', async () => {
    const names = (await ctx.store.db.collection('messages').listIndexes().toArray()).map((i) =>
      String(i['name']),
    );
    expect(names).toContain('conversation_sender_clientMsgId_unique');
    expect(names).not.toContain('sender_clientMsgId_unique');
  });

  it('a lone insert is two insert commands: the proxy, then the message', async () => {
    const { store } = ctx;
    const { conversationId, senderId } = fresh();
    const before = await inserts(store.client);
    const doc = await store.messages.insert({ conversationId, seq: 1, senderId, clientMsgId: 'a' });
    expect((await inserts(store.client)) - before).toBe(2);
    const proxy = await store.db
      .collection('clientMsgIds')
      .findOne({ _id: { s: senderId, c: 'a' } } as never);
    expect(proxy?.['conversationId']).toEqual(conversationId);
    expect(proxy?.['messageId']).toEqual(doc._id);
    // Without a clientMsgId (system messages) there is no proxy: one command.
    const mid = await inserts(store.client);
    await store.messages.insert({ conversationId, seq: 2, senderId, text: 'no id' });
    expect((await inserts(store.client)) - mid).toBe(1);
  });

  it('a resend in the same conversation is a duplicate that finds the original', async () => {
    const { store } = ctx;
    const { conversationId, senderId } = fresh();
    const first = await store.messages.insert({
      conversationId,
      seq: 1,
      senderId,
      clientMsgId: 'r',
      text: 'one',
    });
    const err: unknown = await store.messages
      .insert({ conversationId, seq: 2, senderId, clientMsgId: 'r', text: 'again' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).involves('clientMsgId')).toBe(true);
    expect((err as DuplicateKeyError).involves('seq')).toBe(false);
    expect((await store.messages.findByClientMsgId(senderId, 'r'))?._id).toEqual(first._id);
    expect(await messagesOf(store, senderId, 'r')).toBe(1);
    // Another sender's same clientMsgId is its own.
    await store.messages.insert({
      conversationId,
      seq: 3,
      senderId: new ObjectId(),
      clientMsgId: 'r',
    });
  });

  it('the same clientMsgId in another conversation is a duplicate naming the first conversation', async () => {
    const { store } = ctx;
    const { conversationId, senderId } = fresh();
    await store.messages.insert({ conversationId, seq: 1, senderId, clientMsgId: 'x' });
    const other = new ObjectId();
    const err: unknown = await store.messages
      .insert({ conversationId: other, seq: 1, senderId, clientMsgId: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).involves('clientMsgId')).toBe(true);
    expect((err as DuplicateKeyError).keyValue?.['conversationId']).toEqual(conversationId);
    expect(await store.db.collection('messages').countDocuments({ conversationId: other })).toBe(0);
    expect((await store.messages.findByClientMsgId(senderId, 'x'))?.conversationId).toEqual(
      conversationId,
    );
  });

  it('concurrent resends (one batch, other ids and seqs) store once; other conversations lose', async () => {
    const { store } = ctx;
    const { conversationId, senderId } = fresh();
    const results = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, i) =>
        store.messages.insert({ conversationId, seq: i + 1, senderId, clientMsgId: 'c' }),
      ),
      store.messages.insert({ conversationId: new ObjectId(), seq: 1, senderId, clientMsgId: 'c' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect(rejection(r)).toBeInstanceOf(DuplicateKeyError);
    expect(await messagesOf(store, senderId, 'c')).toBe(1);
    expect((await store.messages.findByClientMsgId(senderId, 'c'))?.conversationId).toEqual(
      conversationId,
    );
  });

  it('a crash between the inserts (proxy stored, message not): the resend stores it, elsewhere it stays taken', async () => {
    const { store } = ctx;
    const { conversationId, senderId } = fresh();
    const lostId = new ObjectId();
    // What the crashed attempt left: its proxy only.
    await store.db
      .collection('clientMsgIds')
      .insertOne({ _id: { s: senderId, c: 'k' }, conversationId, messageId: lostId } as never);
    expect(await store.messages.findByClientMsgId(senderId, 'k')).toBeNull();

    const elsewhere: unknown = await store.messages
      .insert({ conversationId: new ObjectId(), seq: 1, senderId, clientMsgId: 'k' })
      .catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(DuplicateKeyError);
    expect((elsewhere as DuplicateKeyError).involves('clientMsgId')).toBe(true);

    // The resend, told another id (Redis lost the claim), and a second one at the same time.
    const [a, b] = await Promise.allSettled([
      store.messages.insert({ conversationId, seq: 1, senderId, clientMsgId: 'k', text: 'k' }),
      store.messages.insert({ _id: lostId, conversationId, seq: 2, senderId, clientMsgId: 'k' }),
    ]);
    expect([a, b].filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejection(a.status === 'rejected' ? a : b)).toBeInstanceOf(DuplicateKeyError);
    expect(await messagesOf(store, senderId, 'k')).toBe(1);
    expect((await store.messages.findByClientMsgId(senderId, 'k'))?.conversationId).toEqual(
      conversationId,
    );
  });
});
