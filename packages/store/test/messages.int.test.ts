import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { getFreePort } from '@chat/testkit';
import {
  connectMongo,
  DuplicateKeyError,
  isMongoUnavailableError,
  MAX_DISTINCT_EMOJI,
  type MongoStore,
} from '../src/index.js';
import { useStore } from './fixture.js';

const ctx = useStore();

/** A conversation with `count` messages seq 1..count, text `msg <seq>`. */
async function seeded(store: MongoStore, count: number) {
  const conversationId = new ObjectId();
  const senderId = new ObjectId();
  for (let seq = 1; seq <= count; seq++) {
    await store.messages.insert({
      conversationId,
      seq,
      senderId,
      clientMsgId: `seed-${seq}`,
      text: `msg ${seq}`,
    });
  }
  return { conversationId, senderId };
}

/** The first message (seq 1) of a fresh conversation, by a fresh sender. */
async function firstMessage(store: MongoStore, text: string, createdAt?: Date) {
  const { conversationId, senderId } = await seeded(store, 0);
  return store.messages.insert({
    conversationId,
    seq: 1,
    senderId,
    text,
    ...(createdAt ? { createdAt } : {}),
  });
}

const seqsOf = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);

describe('messages: idempotency', () => {
  it('concurrent inserts share one command; each duplicate fails only its own insert, naming its index', async () => {
    const { store } = ctx;
    const conversationId = new ObjectId();
    const senderId = new ObjectId();
    const first = await store.messages.insert({ conversationId, seq: 1, senderId, text: 'one' });
    const [sameId, sameSeq, fine] = await Promise.allSettled([
      store.messages.insert({ _id: first._id, conversationId, seq: 5, senderId, text: 'again' }),
      store.messages.insert({ conversationId, seq: 1, senderId, text: 'same seq' }),
      store.messages.insert({ conversationId, seq: 2, senderId, text: 'two' }),
    ]);
    const reason = (r: PromiseSettledResult<unknown>) =>
      r.status === 'rejected' ? (r.reason as DuplicateKeyError) : undefined;
    expect(reason(sameId)).toBeInstanceOf(DuplicateKeyError);
    expect(reason(sameId)?.involves('_id')).toBe(true);
    expect(reason(sameSeq)?.involves('seq')).toBe(true);
    expect(reason(sameSeq)?.involves('_id')).toBe(false);
    expect(fine.status).toBe('fulfilled');
    expect(await store.messages.latestSeq(conversationId)).toBe(2);
    expect(await store.messages.latestSeq(new ObjectId())).toBe(0);
  });

  it('a repeated (senderId, clientMsgId) is a DuplicateKeyError and the original is found', async () => {
    const { store } = ctx;
    const conversationId = new ObjectId();
    const senderId = new ObjectId();
    const first = await store.messages.insert({
      conversationId,
      seq: 1,
      senderId,
      clientMsgId: 'abc',
      text: 'one',
    });
    const err = await store.messages
      .insert({ conversationId, seq: 2, senderId, clientMsgId: 'abc', text: 'again' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).involves('clientMsgId')).toBe(true);
    const found = await store.messages.findByClientMsgId(senderId, 'abc');
    expect(found?._id.equals(first._id)).toBe(true);
    expect(found?.text).toBe('one');
    // Same clientMsgId from another sender is fine; a repeated seq is not.
    await store.messages.insert({
      conversationId,
      seq: 2,
      senderId: new ObjectId(),
      clientMsgId: 'abc',
      text: 'x',
    });
    await expect(
      store.messages.insert({ conversationId, seq: 2, senderId, text: 'dup seq' }),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    // Messages without clientMsgId never collide with each other on the partial index.
    await store.messages.insert({ conversationId, seq: 3, senderId, text: 'no id' });
    await store.messages.insert({ conversationId, seq: 4, senderId, text: 'no id either' });
  });
});

describe('messages: history', () => {
  it('pages backwards newest-first and forwards oldest-first with hasMore', async () => {
    const { store } = ctx;
    const { conversationId } = await seeded(store, 12);
    const viewerId = new ObjectId();
    const latest = await store.messages.history(conversationId, { viewerId, limit: 5 });
    expect(seqsOf(latest)).toEqual([12, 11, 10, 9, 8]);
    expect(latest.hasMore).toBe(true);
    const older = await store.messages.history(conversationId, { viewerId, before: 8, limit: 5 });
    expect(seqsOf(older)).toEqual([7, 6, 5, 4, 3]);
    const oldest = await store.messages.history(conversationId, { viewerId, before: 3, limit: 5 });
    expect(seqsOf(oldest)).toEqual([2, 1]);
    expect(oldest.hasMore).toBe(false);
    const exact = await store.messages.history(conversationId, { viewerId, before: 6, limit: 5 });
    expect(exact.hasMore).toBe(false);
    const after = await store.messages.history(conversationId, { viewerId, after: 4, limit: 5 });
    expect(seqsOf(after)).toEqual([5, 6, 7, 8, 9]);
    expect(after.hasMore).toBe(true);
    const tail = await store.messages.history(conversationId, { viewerId, after: 9, limit: 5 });
    expect(seqsOf(tail)).toEqual([10, 11, 12]);
    expect(tail.hasMore).toBe(false);
    // hiddenBefore (membership) hides the early history.
    const hidden = await store.messages.history(conversationId, {
      viewerId,
      after: 0,
      hiddenBefore: 10,
    });
    expect(seqsOf(hidden)).toEqual([11, 12]);
    const hiddenBack = await store.messages.history(conversationId, {
      viewerId,
      before: 12,
      hiddenBefore: 10,
    });
    expect(seqsOf(hiddenBack)).toEqual([11]);
    // Limit is capped at 100.
    expect(
      (await store.messages.history(conversationId, { viewerId, limit: 10_000 })).messages,
    ).toHaveLength(12);
  });

  it('hides "deleted for me" only for that user and keeps tombstones', async () => {
    const { store } = ctx;
    const { conversationId } = await seeded(store, 5);
    const [alice, bob] = [new ObjectId(), new ObjectId()];
    const m2 = (
      await store.messages.history(conversationId, { viewerId: alice, after: 1, limit: 1 })
    ).messages[0];
    const m4 = (
      await store.messages.history(conversationId, { viewerId: alice, after: 3, limit: 1 })
    ).messages[0];
    if (!m2 || !m4) throw new Error('seed missing');
    expect(await store.messages.hideForUser(m2._id, alice)).toBe(true);
    expect(await store.messages.hideForUser(m2._id, alice)).toBe(true);
    expect(await store.messages.hideForUser(new ObjectId(), alice)).toBe(false);
    expect((await store.messages.findById(m2._id))?.hiddenFor).toHaveLength(1);
    const deleted = await store.messages.deleteForEveryone(m4._id, new Date());
    expect(deleted?.text).toBeUndefined();
    expect(await store.messages.deleteForEveryone(m4._id, new Date())).toBeNull();

    const forAlice = await store.messages.history(conversationId, { viewerId: alice });
    expect(seqsOf(forAlice)).toEqual([5, 4, 3, 1]);
    const forBob = await store.messages.history(conversationId, { viewerId: bob });
    expect(seqsOf(forBob)).toEqual([5, 4, 3, 2, 1]);
    const tomb = forBob.messages.find((m) => m.seq === 4);
    expect(tomb?.deletedAt).toBeInstanceOf(Date);
    expect(tomb?.text).toBeUndefined();
  });
});

describe('messages: edits', () => {
  it('keeps previous versions, also under concurrent edits', async () => {
    const { store } = ctx;
    const m = await firstMessage(store, 'v0', new Date(1000));
    const e1 = await store.messages.edit(m._id, 'v1', new Date(2000));
    expect(e1?.text).toBe('v1');
    expect(e1?.edits).toEqual([{ text: 'v0', at: new Date(1000) }]);
    await Promise.all(
      ['a', 'b', 'c'].map((t, i) => store.messages.edit(m._id, t, new Date(3000 + i))),
    );
    const final = await store.messages.findById(m._id);
    expect(final?.edits).toHaveLength(4);
    const texts = [...(final?.edits ?? []).map((e) => e.text), final?.text];
    expect(texts.slice(0, 2)).toEqual(['v0', 'v1']);
    expect(new Set(texts.slice(2))).toEqual(new Set(['a', 'b', 'c']));
    await store.messages.deleteForEveryone(m._id, new Date());
    expect(await store.messages.edit(m._id, 'late', new Date())).toBeNull();
    expect((await store.messages.findById(m._id))?.edits).toBeUndefined();
  });
});

describe('messages: reactions', () => {
  it('one per (user, emoji), summaries with counts and users', async () => {
    const { store } = ctx;
    const m = await firstMessage(store, 'react to me');
    const [a, b] = [new ObjectId(), new ObjectId()];
    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.messages.addReaction(m, a, '👍')),
    );
    expect(results.filter((r) => r === 'added')).toHaveLength(1);
    expect(results.filter((r) => r === 'exists')).toHaveLength(5);
    expect(await store.messages.addReaction(m, b, '👍')).toBe('added');
    expect(await store.messages.addReaction(m, b, '🎉')).toBe('added');
    const summary = (await store.messages.reactionsOf([m._id])).get(m._id.toHexString());
    expect(summary?.map((r) => [r.emoji, r.count])).toEqual([
      ['👍', 2],
      ['🎉', 1],
    ]);
    expect(summary?.[0]?.userIds.map(String).sort()).toEqual([String(a), String(b)].sort());
    expect(await store.messages.removeReaction(m, a, '👍')).toBe(true);
    expect(await store.messages.removeReaction(m, a, '👍')).toBe(false);
    const after = (await store.messages.reactionsOf([m._id])).get(m._id.toHexString());
    expect(after?.map((r) => [r.emoji, r.count])).toEqual([
      ['👍', 1],
      ['🎉', 1],
    ]);
    expect(
      await store.messages.addReaction(
        { _id: new ObjectId(), conversationId: m.conversationId },
        a,
        '👍',
      ),
    ).toBe('not-found');
  });

  it('allows at most 20 distinct emoji, also concurrently, and frees a slot when unused', async () => {
    const { store } = ctx;
    const m = await firstMessage(store, 'many');
    const emoji = Array.from({ length: 30 }, (_, i) => `e${i}`);
    const results = await Promise.all(
      emoji.map((e, i) => store.messages.addReaction(m, new ObjectId(), e, new Date(i))),
    );
    expect(results.filter((r) => r === 'added')).toHaveLength(MAX_DISTINCT_EMOJI);
    expect(results.filter((r) => r === 'limit')).toHaveLength(30 - MAX_DISTINCT_EMOJI);
    const summary = (await store.messages.reactionsOf([m._id])).get(m._id.toHexString()) ?? [];
    expect(summary).toHaveLength(MAX_DISTINCT_EMOJI);
    // An already-present emoji can still be added by someone else at the limit.
    const present = summary[0];
    if (!present) throw new Error('no summary');
    expect(await store.messages.addReaction(m, new ObjectId(), present.emoji)).toBe('added');
    expect(await store.messages.addReaction(m, new ObjectId(), 'new')).toBe('limit');
    // Removing the only reaction of an emoji frees its slot.
    const lonely = summary.find((r) => r.emoji !== present.emoji && r.count === 1);
    if (!lonely?.userIds[0]) throw new Error('no lonely emoji');
    expect(await store.messages.removeReaction(m, lonely.userIds[0], lonely.emoji)).toBe(true);
    expect(await store.messages.addReaction(m, new ObjectId(), 'new')).toBe('added');
    // Deleting the message removes its reactions and refuses new ones.
    await store.messages.deleteForEveryone(m._id, new Date());
    expect((await store.messages.reactionsOf([m._id])).size).toBe(0);
    expect(await store.messages.addReaction(m, new ObjectId(), 'new')).toBe('not-found');
  });
});

describe('messages: search', () => {
  it('is case-insensitive, literal (regex-escaped), newest first and respects hidden/deleted', async () => {
    const { store } = ctx;
    const conversationId = new ObjectId();
    const senderId = new ObjectId();
    const viewerId = new ObjectId();
    const texts = [
      'Hello World',
      'say hello',
      'a.b and (x+)+',
      'aXb',
      'nothing',
      'HELLO again',
      'deleted hello',
      'hidden hello',
    ];
    const docs = [];
    for (const [i, text] of texts.entries())
      docs.push(await store.messages.insert({ conversationId, seq: i + 1, senderId, text }));
    await store.messages.deleteForEveryone(docs[6]?._id ?? new ObjectId(), new Date());
    await store.messages.hideForUser(docs[7]?._id ?? new ObjectId(), viewerId);
    await store.messages.insert({
      conversationId: new ObjectId(),
      seq: 1,
      senderId,
      text: 'hello elsewhere',
    });

    const hits = await store.messages.search(conversationId, 'hello', { viewerId });
    expect(hits.map((m) => m.text)).toEqual(['HELLO again', 'say hello', 'Hello World']);
    expect(
      (await store.messages.search(conversationId, 'a.b', { viewerId })).map((m) => m.text),
    ).toEqual(['a.b and (x+)+']);
    expect(
      (await store.messages.search(conversationId, '(x+)+', { viewerId })).map((m) => m.seq),
    ).toEqual([3]);
    expect(await store.messages.search(conversationId, '.*', { viewerId })).toEqual([]);
    expect(await store.messages.search(conversationId, '   ', { viewerId })).toEqual([]);
    expect(
      await store.messages.search(conversationId, 'hello', { viewerId, limit: 1 }),
    ).toHaveLength(1);
  });
});

describe('attachments and notifications', () => {
  it('attachments keep order and markUsed checks the uploader', async () => {
    const { store } = ctx;
    const uploaderId = new ObjectId();
    const a = await store.attachments.create({
      uploaderId,
      name: 'a.png',
      size: 3,
      mime: 'image/png',
      kind: 'image',
      storageKey: 'k/a',
    });
    const b = await store.attachments.create({
      uploaderId,
      name: 'b.pdf',
      size: 4,
      mime: 'application/pdf',
      kind: 'file',
      storageKey: 'k/b',
    });
    const got = await store.attachments.findByIds([b._id, new ObjectId(), a._id]);
    expect(got.map((d) => d.name)).toEqual(['b.pdf', 'a.png']);
    expect(await store.attachments.markUsed([a._id, b._id], new ObjectId())).toBe(0);
    expect(await store.attachments.markUsed([a._id], uploaderId)).toBe(1);
    expect((await store.attachments.findById(a._id))?.usedAt).toBeInstanceOf(Date);
    const unused = await store.attachments.findUnusedBefore(new Date(Date.now() + 1000));
    expect(unused.map((d) => d.name)).toContain('b.pdf');
    expect(unused.map((d) => d.name)).not.toContain('a.png');
  });

  it('notifications list newest first, filter unread, mark read per user', async () => {
    const { store } = ctx;
    const userId = new ObjectId();
    const other = new ObjectId();
    const n1 = await store.notifications.create({
      userId,
      type: 't',
      title: 'one',
      createdAt: new Date(1000),
    });
    const n2 = await store.notifications.create({
      userId,
      type: 't',
      title: 'two',
      body: 'b',
      data: { k: 1 },
      createdAt: new Date(2000),
    });
    const foreign = await store.notifications.create({ userId: other, type: 't', title: 'theirs' });
    expect((await store.notifications.listForUser(userId)).map((n) => n.title)).toEqual([
      'two',
      'one',
    ]);
    expect(await store.notifications.markRead(userId, { ids: [n1._id, foreign._id] })).toBe(1);
    expect(
      (await store.notifications.listForUser(userId, { unread: true })).map((n) => n.title),
    ).toEqual(['two']);
    expect((await store.notifications.findById(foreign._id))?.read).toBe(false);
    expect(await store.notifications.markRead(userId, { all: true })).toBe(1);
    expect(await store.notifications.countUnread(userId)).toBe(0);
    expect(await store.notifications.markDelivered(n2._id)).toBe(true);
    expect(await store.notifications.markDelivered(n2._id)).toBe(false);
  });
});

describe('store lifecycle', () => {
  it('ensureIndexes is idempotent, ping works, close is idempotent', async () => {
    const { store, server } = ctx;
    await store.ensureIndexes();
    await store.ensureIndexes();
    const names = (await store.db.collection('messages').listIndexes().toArray()).map((i) =>
      String(i['name']),
    );
    expect(names).toEqual(
      expect.arrayContaining(['conversation_seq_unique', 'sender_clientMsgId_unique']),
    );
    await store.ping();
    const second = await connectMongo({ url: server.url, dbName: server.databaseName });
    await second.ping();
    await Promise.all([second.close(), second.close()]);
    await second.close();
    await expect(second.ping()).rejects.toThrow();
  });
});

describe('unreachable server', () => {
  it('connectMongo fails fast with an error the gateway can map to UNAVAILABLE', async () => {
    const port = await getFreePort();
    const started = Date.now();
    const err = await connectMongo({
      url: `mongodb://127.0.0.1:${port}`,
      dbName: 'nothing',
      serverSelectionTimeoutMS: 300,
    }).catch((e: unknown) => e);
    expect(isMongoUnavailableError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
