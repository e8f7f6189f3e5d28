import { startEmbeddedMongo, type EmbeddedMongo } from '@chat/embedded-mongo';
import type { Message } from '@chat/protocol';
import { shardKeyOf } from '@chat/store';
import { waitFor } from '@chat/testkit';
import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import { ack, createGroup, openDirect, sendText, useTestCluster } from './fixtures/cluster.js';

/**
 * MONGO_SHARDED=true on real gateways: the clientMsgId rules of docs/PROTOCOL.md hold through
 * the clientMsgIds proxy, and every hot-path query names its collection's shard key
 * (packages/store/src/shard-keys.ts), recorded by the embedded server's command hook.
 */
type Command = Record<string, unknown>;
interface Recorded {
  db: string;
  name: string;
  command: Command;
}

const recorded: Recorded[] = [];
let recording = false;
let server: EmbeddedMongo | undefined;

// Registered before the cluster's own beforeAll, so the nodes connect to this server.
beforeAll(async () => {
  server = await startEmbeddedMongo({
    host: '127.0.0.1',
    port: 0,
    onCommand: (command, db) => {
      if (recording) recorded.push({ db, name: Object.keys(command)[0] ?? '', command });
    },
  });
});
afterAll(async () => {
  await server?.close();
});

const cluster = useTestCluster({
  nodes: 2,
  env: {
    get MONGO_URL() {
      if (!server) throw new Error('the embedded server is not started');
      return server.url;
    },
    MONGO_SHARDED: 'true',
  },
});

let mongo: MongoClient;
beforeAll(async () => {
  mongo = await MongoClient.connect(cluster.env.MONGO_URL ?? '');
});
afterAll(async () => {
  await mongo?.close();
});

const db = () => mongo.db(cluster.mongo.databaseName);
const storedCount = (senderId: string, clientMsgId: string) =>
  db()
    .collection('messages')
    .countDocuments({ senderId: new ObjectId(senderId), clientMsgId });

describe('MONGO_SHARDED=true: clientMsgId through the proxy', () => {
  it('a resend on another node returns the original; another conversation is CONFLICT', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const conv = await openDirect(cluster, alice, bob);
    const other = await openDirect(cluster, alice, carol);
    const first = await sendText(await cluster.connect(alice, 0), conv.id, 'once', {
      clientMsgId: 'shard-same',
    });
    const again = await sendText(await cluster.connect(alice, 1), conv.id, 'once', {
      clientMsgId: 'shard-same',
    });
    expect(again).toEqual(first);
    const elsewhere = await ack(await cluster.connect(alice, 1), 'message:send', {
      conversationId: other.id,
      clientMsgId: 'shard-same',
      text: 'once',
    });
    expect(elsewhere.error?.code).toBe('CONFLICT');
    expect(await storedCount(alice.id, 'shard-same')).toBe(1);
  });

  it('concurrent resends on two nodes store once and all answer the same message', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const conv = await openDirect(cluster, alice, bob);
    const sockets = await Promise.all([0, 1, 0, 1].map((n) => cluster.connect(alice, n)));
    const sent = await Promise.all(
      sockets.map((s) => sendText(s, conv.id, 'race', { clientMsgId: 'shard-race' })),
    );
    expect(new Set(sent.map((m) => m.id)).size).toBe(1);
    expect(await storedCount(alice.id, 'shard-race')).toBe(1);
  });

  it('a crash between the proxy and the message: elsewhere CONFLICT, the resend stores it once', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const conv = await openDirect(cluster, alice, bob);
    const other = await openDirect(cluster, alice, carol);
    // What an attempt that died after its proxy insert left behind (no message, no claim).
    await db()
      .collection('clientMsgIds')
      .insertOne({
        _id: { s: new ObjectId(alice.id), c: 'shard-crash' },
        conversationId: new ObjectId(conv.id),
        messageId: new ObjectId(),
      } as never);
    const socket = await cluster.connect(alice, 0);
    const elsewhere = await ack(socket, 'message:send', {
      conversationId: other.id,
      clientMsgId: 'shard-crash',
      text: 'x',
    });
    expect(elsewhere.error?.code).toBe('CONFLICT');

    const stored = await sendText(socket, conv.id, 'recovered', { clientMsgId: 'shard-crash' });
    expect(stored.text).toBe('recovered');
    const resent = await sendText(await cluster.connect(alice, 1), conv.id, 'recovered', {
      clientMsgId: 'shard-crash',
    });
    expect(resent).toEqual(stored);
    expect(await storedCount(alice.id, 'shard-crash')).toBe(1);
  });
});

/**
 * A filter that targets one shard: it names every shard key field with an equality or `$in`,
 * directly, under `$and`, or in every clause of an `$or` (mongos targets each clause).
 */
function namesShardKey(filter: unknown, key: readonly string[]): boolean {
  if (filter === null || typeof filter !== 'object') return false;
  const f = filter as Record<string, unknown>;
  const or = f['$or'];
  if (Array.isArray(or) && or.length > 0 && or.every((c) => namesShardKey(c, key))) return true;
  const and = f['$and'];
  if (Array.isArray(and) && and.some((c) => namesShardKey(c, key))) return true;
  return key.every((field) => {
    if (!(field in f)) return false;
    const value = f[field];
    // An ObjectId decoded by the server's own bson copy is not `instanceof` ours: `_bsontype`.
    if (value === null || typeof value !== 'object' || '_bsontype' in value) return true;
    const ops = Object.keys(value);
    // An embedded document (the proxy's `{ s, c }` _id) is an equality too.
    if (!ops.some((op) => op.startsWith('$'))) return true;
    return ops.includes('$eq') || ops.includes('$in');
  });
}

/** Each filter a command carries, with the collection it reads or writes. */
function filtersOf(r: Recorded): Array<{ collection: string; filter: unknown; op: string }> {
  const collection = String(r.command[r.name]);
  const many = (list: unknown, field: string) =>
    (Array.isArray(list) ? (list as Command[]) : []).map((s) => ({
      collection,
      filter: s[field],
      op: r.name,
    }));
  switch (r.name) {
    case 'find':
    case 'count':
    case 'distinct':
      return [{ collection, filter: r.command['filter'] ?? r.command['query'] ?? {}, op: r.name }];
    case 'findAndModify':
      return [{ collection, filter: r.command['query'], op: r.name }];
    case 'update':
      return many(r.command['updates'], 'q');
    case 'delete':
      return many(r.command['deletes'], 'q');
    case 'insert':
      // An insert carries its shard key in the document (mongos refuses one without it).
      return many(r.command['documents'], '').map((x, i) => ({
        ...x,
        filter: (r.command['documents'] as Command[])[i],
      }));
    case 'aggregate': {
      const first = (r.command['pipeline'] as Command[] | undefined)?.[0];
      return [{ collection, filter: first?.['$match'] ?? {}, op: r.name }];
    }
    default:
      return [];
  }
}

/** The fields a filter names at its top level: what an exception is known by. */
const shapeOf = (filter: unknown): string =>
  filter && typeof filter === 'object' ? Object.keys(filter).sort().join(',') : '';

/**
 * Scatter queries on a sharded collection, on purpose. Each names why it is acceptable; the
 * test fails if one is no longer seen (the list must not go stale) or a new one appears.
 */
const EXCEPTIONS: Record<string, string> = {
  // Members of a conversation, for the send path's access check and the fan-out: cached per
  // node (membership-cache.ts), so a node reads them once per conversation, not per message.
  'find memberships conversationId':
    'members-of, cached per node; the pair index serves it on each shard',
  // message:react (and edit, delete, the message routes) name only the messageId
  // (docs/PROTOCOL.md): the action's first read finds the message by `_id` on every shard;
  // every write after it names the conversation (reactions.ts). Targeting that read needs the
  // conversationId in those events: a protocol change, not made here.
  'find messages _id': 'by-id read of a messageId-only action, one per action',
};

describe('hot-path queries name the shard key (MONGO_SHARDED=true)', () => {
  it('send, resend, history, catch-up, sync, read, list, reactions, notifications', async () => {
    const { ann, bob } = await people(cluster, 'ann', 'bob');
    const group = await createGroup(cluster, ann, [bob]);
    const annSocket = await cluster.connect(ann, 0);
    const bobSocket = await cluster.connect(bob, 1);
    const warm = await sendText(annSocket, group.id, 'warm-up');

    recording = true;
    const sent: Message[] = [];
    for (let i = 0; i < 3; i++) sent.push(await sendText(annSocket, group.id, `m${i}`));
    await sendText(annSocket, group.id, 'resent', { clientMsgId: 'shape-resend' });
    await sendText(await cluster.connect(ann, 1), group.id, 'resent', {
      clientMsgId: 'shape-resend',
    });
    const mention = await sendText(bobSocket, group.id, `hi @${ann.username}`);
    const last = sent.at(-1) as Message;
    const history = await ack(bobSocket, 'message:history', { conversationId: group.id });
    expect(history.ok).toBe(true);
    const older = await cluster
      .as(bob, 0)
      .get(`/api/conversations/${group.id}/messages?before=${last.seq}&limit=2`);
    expect(older.status).toBe(200);
    const catchUp = await cluster
      .as(bob, 1)
      .get(`/api/conversations/${group.id}/messages?after=${warm.seq}`);
    expect(catchUp.status).toBe(200);
    const sync = await ack(bobSocket, 'sync', {
      cursors: [{ conversationId: group.id, seq: warm.seq }],
    });
    expect(sync.ok).toBe(true);
    expect(
      (await ack(bobSocket, 'conversation:read', { conversationId: group.id, seq: last.seq })).ok,
    ).toBe(true);
    expect(
      (await ack(bobSocket, 'conversation:delivered', { conversationId: group.id, seq: last.seq }))
        .ok,
    ).toBe(true);
    expect((await cluster.as(bob, 0).get('/api/conversations')).status).toBe(200);
    const react = { messageId: last.id, emoji: '👍' };
    expect((await ack(bobSocket, 'message:react', { ...react, op: 'add' })).ok).toBe(true);
    expect((await ack(annSocket, 'message:react', { ...react, op: 'add' })).ok).toBe(true);
    expect((await ack(bobSocket, 'message:react', { ...react, op: 'remove' })).ok).toBe(true);
    // The mention's notification is written after the ack: wait for it, then list and read.
    let notes: { notifications?: Array<{ id: string }> } = {};
    await waitFor(
      async () => {
        notes = (await cluster.as(ann, 1).get<typeof notes>('/api/notifications')).body;
        return (notes.notifications?.length ?? 0) > 0;
      },
      { timeout: 5000 },
    );
    expect(mention.mentions).toContain(ann.id);
    expect((await cluster.as(ann, 1).post('/api/notifications/read', { all: true })).status).toBe(
      204,
    );
    await cluster.settle();
    recording = false;

    const seen = new Set<string>();
    const violations: string[] = [];
    let checked = 0;
    for (const r of recorded.filter((x) => x.db === cluster.mongo.databaseName)) {
      for (const { collection, filter, op } of filtersOf(r)) {
        const key = shardKeyOf(collection);
        if (!key) continue;
        checked++;
        if (namesShardKey(filter, key)) continue;
        const label = `${op} ${collection} ${shapeOf(filter)}`;
        if (label in EXCEPTIONS) seen.add(label);
        else violations.push(`${label}: ${JSON.stringify(filter)}`);
      }
    }
    expect(violations).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(EXCEPTIONS).sort());
    // The hot paths did reach the sharded collections (a recording that saw nothing proves nothing).
    const collections = new Set(recorded.map((r) => String(r.command[r.name])));
    for (const c of ['messages', 'clientMsgIds', 'memberships', 'reactions', 'notifications'])
      expect(collections, c).toContain(c);
    expect(checked).toBeGreaterThan(20);
  });

  it('the check itself: a filter without the key, or with a range on it, does not pass', () => {
    expect(namesShardKey({ _id: new ObjectId() }, ['conversationId'])).toBe(false);
    expect(namesShardKey({ conversationId: { $gt: new ObjectId() } }, ['conversationId'])).toBe(
      false,
    );
    expect(
      namesShardKey({ $or: [{ conversationId: 1 }, { senderId: 2 }] }, ['conversationId']),
    ).toBe(false);
    expect(namesShardKey({ conversationId: new ObjectId() }, ['conversationId'])).toBe(true);
    expect(namesShardKey({ conversationId: { $in: [1, 2] }, seq: 3 }, ['conversationId'])).toBe(
      true,
    );
  });
});
