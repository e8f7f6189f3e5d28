import { messageDeliveryId, type MessageDeliveryJob } from '@chat/jobs';
import { createPresenceStore } from '@chat/presence';
import { createHandoffStream, createSendKeys, type HandoffRecord } from '@chat/send-state';
import { connectMongo, ObjectId, type MongoStore } from '@chat/store';
import { startMongo, startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageHandoff } from '../src/handoff/message-handoff.js';
import { createWorkerMetrics } from '../src/metrics.js';

let redisServer: RedisServer;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let store: MongoStore;
let redis: Redis;
let prefixes = 0;

beforeAll(async () => {
  [redisServer, mongo] = await Promise.all([startRedis(), startMongo()]);
  redis = new Redis(redisServer.url);
  store = await connectMongo({ url: mongo.url, dbName: mongo.databaseName });
  await store.ensureIndexes();
});
afterAll(async () => {
  redis?.disconnect();
  await store?.close();
  await mongo?.close();
  await redisServer?.stop();
});

/** A hand-off with its own stream, a queue that records what it is given, and a test clock. */
function rig() {
  const keys = createSendKeys(`h${++prefixes}:`);
  const presence = createPresenceStore({ redis, prefix: `h${prefixes}:presence:` });
  const queued: MessageDeliveryJob[] = [];
  const metrics = createWorkerMetrics();
  let clock = Date.now();
  const stream = createHandoffStream({ redis, key: keys.handoff(), consumer: 'test' });
  const handoff = createMessageHandoff({
    stream,
    store,
    presence,
    offlineDelivery: {
      enqueue: (jobs) => {
        queued.push(...(jobs as MessageDeliveryJob[]));
        return Promise.resolve();
      },
    },
    logger: pino({ level: 'silent' }),
    metrics,
    giveUpAfterMs: 60_000,
    now: () => clock,
  });
  return {
    keys,
    presence,
    queued,
    metrics,
    stream,
    handoff,
    advance: (ms: number) => (clock += ms),
  };
}

async function stored(conversationId: ObjectId, senderId: ObjectId, seq: number) {
  return store.messages.insert({ conversationId, seq, senderId, text: `m${seq}` });
}

function record(
  over: Partial<HandoffRecord> & Pick<HandoffRecord, 'conversationId' | 'messageId' | 'senderId'>,
): HandoffRecord {
  return {
    id: `${Date.now()}-${prefixes}`,
    addedAt: Date.now(),
    version: 'v1',
    preview: 'hi',
    ...over,
  };
}

describe('the offline hand-off (worker)', () => {
  it('queues one job per offline member of a group, none for online ones or the sender', async () => {
    const { queued, presence, handoff } = rig();
    const conversationId = new ObjectId();
    const [alice, bob, carol] = [new ObjectId(), new ObjectId(), new ObjectId()];
    await store.memberships.addMany(
      conversationId,
      [alice, bob, carol].map((userId) => ({ userId, role: 'member' as const })),
    );
    await presence.connect({ userId: bob.toHexString(), connId: 'b1', nodeId: 'n1' });
    const message = await stored(conversationId, alice, 1);
    const done = await handoff.handle(
      [
        record({
          conversationId: conversationId.toHexString(),
          messageId: message._id.toHexString(),
          senderId: alice.toHexString(),
        }),
      ],
      [],
    );
    expect(done).toBe(1);
    expect(queued.map((j) => j.deliveryId)).toEqual([
      messageDeliveryId(message._id.toHexString(), carol.toHexString()),
    ]);
    expect(queued[0]).toMatchObject({ userId: carol.toHexString(), preview: 'hi' });
  });

  it('waits for a message that is not stored yet, and drops one that never was after the give-up time', async () => {
    const { queued, handoff, advance, metrics } = rig();
    const conversationId = new ObjectId();
    const [alice, bob] = [new ObjectId(), new ObjectId()];
    const pending = new ObjectId();
    const entry = record({
      conversationId: conversationId.toHexString(),
      messageId: pending.toHexString(),
      senderId: alice.toHexString(),
      recipientId: bob.toHexString(),
    });
    expect(await handoff.handle([entry], [])).toBe(0);
    expect(queued).toEqual([]);
    // Stored a moment later (the sending node inserts right after its script).
    await store.messages.insert({
      _id: pending,
      conversationId,
      seq: 1,
      senderId: alice,
      text: 'x',
    });
    expect(await handoff.handle([entry], [])).toBe(1);
    expect(queued.map((j) => j.userId)).toEqual([bob.toHexString()]);

    const never = record({
      conversationId: conversationId.toHexString(),
      messageId: new ObjectId().toHexString(),
      senderId: alice.toHexString(),
      recipientId: bob.toHexString(),
    });
    expect(await handoff.handle([never], [])).toBe(0);
    advance(61_000);
    expect(await handoff.handle([never], [])).toBe(1);
    expect(queued).toHaveLength(1);
    expect((await metrics.handoffDropped.get()).values[0]?.value).toBe(1);
  });

  it('reads a group once per membership version: a new version reads the members again', async () => {
    const { queued, handoff } = rig();
    const conversationId = new ObjectId();
    const [alice, bob, dave] = [new ObjectId(), new ObjectId(), new ObjectId()];
    await store.memberships.addMany(conversationId, [
      { userId: alice, role: 'owner' },
      { userId: bob, role: 'member' },
    ]);
    const send = async (seq: number, version: string) => {
      const message = await stored(conversationId, alice, seq);
      await handoff.handle(
        [
          record({
            conversationId: conversationId.toHexString(),
            messageId: message._id.toHexString(),
            senderId: alice.toHexString(),
            version,
          }),
        ],
        [],
      );
    };
    await send(1, 'v1');
    await store.memberships.add(conversationId, { userId: dave, role: 'member' });
    await send(2, 'v1'); // the same version names the same members: dave is not seen yet
    await send(3, 'v2'); // the change bumped the version
    expect(queued.map((j) => j.userId.slice(-4))).toEqual(
      [bob, bob, bob, dave].map((id) => id.toHexString().slice(-4)),
    );
  });

  it('runs as a loop over the real stream and stops cleanly', async () => {
    const { keys, queued, stream } = rig();
    const conversationId = new ObjectId();
    const [alice, bob] = [new ObjectId(), new ObjectId()];
    const message = await stored(conversationId, alice, 1);
    await stream.ensureGroup();
    await redis.xadd(
      keys.handoff(),
      '*',
      'c',
      conversationId.toHexString(),
      'm',
      message._id.toHexString(),
      's',
      alice.toHexString(),
      'r',
      bob.toHexString(),
      'v',
      'v1',
      'p',
      'hello',
    );
    const reader = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    try {
      const looping = createMessageHandoff({
        ...handoffOptions(reader, keys.handoff(), queued),
      });
      looping.start();
      await waitFor(() => queued.length > 0, { message: 'the loop queued the job' });
      await looping.stop();
      expect(queued.map((j) => j.preview)).toEqual(['hello']);
      expect(await stream.length()).toBe(0);
    } finally {
      reader.disconnect();
    }
  });
});

function handoffOptions(reader: Redis, key: string, queued: MessageDeliveryJob[]) {
  return {
    stream: createHandoffStream({ redis: reader, key, consumer: 'looper' }),
    store,
    presence: createPresenceStore({ redis, prefix: 'loop:presence:' }),
    offlineDelivery: {
      enqueue: (jobs: unknown[]) => {
        queued.push(...(jobs as MessageDeliveryJob[]));
        return Promise.resolve();
      },
    },
    logger: pino({ level: 'silent' }),
    metrics: createWorkerMetrics(),
  };
}
