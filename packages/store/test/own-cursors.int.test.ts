import { MongoClient, ObjectId, type CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMongo } from '@chat/testkit';
import { connectMongo, type MongoStore } from '../src/index.js';
import { createOwnCursorWriter } from '../src/batching/own-cursor-writer.js';
import type { MembershipDoc } from '../src/types.js';

type MongoServer = Awaited<ReturnType<typeof startMongo>>;

let server: MongoServer;
let store: MongoStore;
/** A second client with command monitoring: counts the commands the writer sends. */
let watched: MongoClient;
const started: CommandStartedEvent[] = [];

beforeAll(async () => {
  server = await startMongo();
  store = await connectMongo({ url: server.url, dbName: server.databaseName });
  await store.ensureIndexes();
  watched = new MongoClient(server.url, { monitorCommands: true });
  watched.on('commandStarted', (e) => started.push(e));
  await watched.connect();
});

afterAll(async () => {
  await watched?.close();
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
  await server?.close();
});

async function membersOf(count: number): Promise<{ conversationId: ObjectId; users: ObjectId[] }> {
  const conversationId = new ObjectId();
  const users = Array.from({ length: count }, () => new ObjectId());
  await store.memberships.addMany(
    conversationId,
    users.map((userId) => ({ userId, role: 'member' as const })),
  );
  return { conversationId, users };
}

const stored = (conversationId: ObjectId, userId: ObjectId) =>
  store.db.collection<MembershipDoc>('memberships').findOne({ conversationId, userId });

describe('own cursor moves (write-behind)', () => {
  it('moves made within the delay share one command; the highest seq per member wins', async () => {
    const { conversationId, users } = await membersOf(10);
    const writer = createOwnCursorWriter(
      watched.db(server.databaseName).collection<MembershipDoc>('memberships'),
      { delayMs: 30 },
    );
    started.length = 0;
    const at = new Date();
    for (const [i, userId] of users.entries()) {
      writer.move({ conversationId, userId, seq: i + 1, at });
      writer.move({ conversationId, userId, seq: i + 5, at });
      writer.move({ conversationId, userId, seq: i + 2, at }); // behind: ignored
    }
    await writer.flush();
    const updates = started.filter((e) => e.commandName === 'update');
    expect(updates).toHaveLength(1);
    for (const [i, userId] of users.entries()) {
      expect(await stored(conversationId, userId)).toMatchObject({
        readSeq: i + 5,
        deliveredSeq: i + 5,
        readAt: at,
        deliveredAt: at,
      });
    }
  });

  it('this node reads a pending move at once, before it is stored', async () => {
    const { conversationId, users } = await membersOf(2);
    const [alice, bob] = users as [ObjectId, ObjectId];
    const at = new Date();
    store.memberships.moveOwnCursors(conversationId, alice, 7, at);
    // Not stored yet (the write waits for other moves), but every read of this store shows it.
    expect(await stored(conversationId, alice)).toMatchObject({ readSeq: 0 });
    expect(await store.memberships.find(conversationId, alice)).toMatchObject({
      readSeq: 7,
      deliveredSeq: 7,
      readAt: at,
    });
    const [mine] = await store.memberships.findForUser(alice, [conversationId]);
    expect(mine).toMatchObject({ readSeq: 7 });
    const members = await store.memberships.listMembers(conversationId);
    expect(members.map((m) => m.readSeq).sort()).toEqual([0, 7]);
    // Bob is untouched.
    expect(await store.memberships.find(conversationId, bob)).toMatchObject({ readSeq: 0 });

    await store.memberships.flushOwnCursors();
    expect(await stored(conversationId, alice)).toMatchObject({ readSeq: 7, deliveredSeq: 7 });
  });

  it('conversation views count the pending move: own messages are never unread', async () => {
    const alice = new ObjectId();
    const bob = new ObjectId();
    const conversation = await store.conversations.createGroup({ title: 't', createdBy: alice });
    await store.memberships.addMany(conversation._id, [
      { userId: alice, role: 'owner' },
      { userId: bob, role: 'member' },
    ]);
    store.conversations.recordMessage({
      conversationId: conversation._id,
      preview: {
        id: new ObjectId(),
        seq: 1,
        senderId: alice,
        text: 'hi',
        kind: 'text',
        createdAt: new Date(),
      },
    });
    store.memberships.moveOwnCursors(conversation._id, alice, 1, new Date());
    const [aliceView] = (await store.conversations.listForUser(alice)).items;
    const [bobView] = (await store.conversations.listForUser(bob)).items;
    expect(aliceView).toMatchObject({ unreadCount: 0 });
    expect(bobView).toMatchObject({ unreadCount: 1 });
    await Promise.all([store.memberships.flushOwnCursors(), store.conversations.flushActivity()]);
  });

  it('never moves a cursor back: a late move below the stored cursor changes nothing', async () => {
    const { conversationId, users } = await membersOf(1);
    const [alice] = users as [ObjectId];
    await store.memberships.advanceRead(conversationId, alice, 9);
    store.memberships.moveOwnCursors(conversationId, alice, 4, new Date());
    await store.memberships.flushOwnCursors();
    expect(await stored(conversationId, alice)).toMatchObject({ readSeq: 9, deliveredSeq: 9 });
    expect(await store.memberships.find(conversationId, alice)).toMatchObject({ readSeq: 9 });
  });

  it('a failed write is logged, never thrown; the moves are dropped', async () => {
    const { conversationId, users } = await membersOf(1);
    const [alice] = users as [ObjectId];
    const warnings: object[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (obj: object) => warnings.push(obj),
    };
    const closedClient = new MongoClient(server.url, { serverSelectionTimeoutMS: 200 });
    await closedClient.connect();
    await closedClient.close();
    const writer = createOwnCursorWriter(
      closedClient.db(server.databaseName).collection<MembershipDoc>('memberships'),
      { delayMs: 1, logger },
    );
    writer.move({ conversationId, userId: alice, seq: 3, at: new Date() });
    await writer.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ items: 1 });
    expect(await stored(conversationId, alice)).toMatchObject({ readSeq: 0 });
  });
});
