import {
  createRedisClient,
  roomChannel,
  trackShardedSubscriptions,
  type RedisClient,
} from '@chat/redis';
import { startRedis, waitFor, waitForEvent, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The adapters send SSUBSCRIBE (or PSUBSCRIBE) and never look at the reply: a subscription
 * that is refused or silently dropped leaves a node deaf to a room, or to every membership
 * request, for good. Redis refuses for real here: an ACL user without channel permissions
 * gets NOPERM, until an operator grants them.
 */
describe('subscriber connections', () => {
  let redis: RedisServer;
  let admin: Redis;
  const clients: Redis[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.quit()));
    await admin?.quit();
    await redis?.stop();
  });

  async function subscriberWithoutChannels(user: string): Promise<Redis> {
    await admin.call(
      'ACL',
      'SETUSER',
      user,
      'reset',
      'on',
      '>secret',
      '~*',
      '+@all',
      'resetchannels',
    );
    const sub = new Redis(redis.url, { username: user, password: 'secret' });
    clients.push(sub);
    return sub;
  }
  /** The next sharded message (channel, text) the subscriber gets. */
  const nextShardMessage = (sub: RedisClient) =>
    new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no smessage within 5 s')), 5_000);
      sub.once('smessage', (from: string, text: string) => {
        clearTimeout(timer);
        resolve([from, text]);
      });
    });
  const isHealthy = (tracker: ReturnType<typeof trackShardedSubscriptions>) =>
    tracker.healthy().then(
      () => true,
      () => false,
    );

  it('keeps a subscription sent while the connection is still handshaking (no ready-check drop)', async () => {
    const sub = createRedisClient(
      { topology: { kind: 'single', url: redis.url }, adapter: 'auto' },
      { role: 'sub', name: 'node-x:sub' },
    );
    clients.push(sub as Redis);
    const channel = roomChannel('conversation:early');
    let reconnects = 0;
    sub.on('reconnecting', () => reconnects++);
    // Where an adapter created during start-up lands: the socket is up, the client not ready.
    sub.once('connect', () => void sub.ssubscribe(channel));
    await waitForEvent(sub, 'ready', { timeout: 10_000 });
    const delivered = nextShardMessage(sub);
    await admin.spublish(channel, 'still here');
    expect(await delivered).toEqual([channel, 'still here']);
    // ioredis' ready check (INFO) is refused on a connection in subscriber mode; the check
    // failing drops the connection, which is how nodes lost their namespace channel.
    expect(reconnects).toBe(0);
  });

  it('sends a refused subscription again until Redis accepts it, and is unhealthy meanwhile', async () => {
    const sub = await subscriberWithoutChannels('deaf-node');
    const tracker = trackShardedSubscriptions(sub, { retryMs: 50 });
    const channel = roomChannel('conversation:a');
    // What the adapter does when a room is created: send and forget.
    void sub.ssubscribe(channel);
    await tracker.ready(['conversation:a']); // released, not held, by the refusal
    await waitFor(async () => !(await isHealthy(tracker)), { message: 'refusal noticed' });

    await admin.call('ACL', 'SETUSER', 'deaf-node', 'allchannels');
    await waitFor(() => isHealthy(tracker), { message: 'subscription accepted on a retry' });
    const delivered = nextShardMessage(sub);
    await admin.spublish(channel, 'hello');
    expect(await delivered).toEqual([channel, 'hello']);
  });

  it('stops retrying a channel the adapter no longer wants', async () => {
    const sub = await subscriberWithoutChannels('leaving-node');
    const tracker = trackShardedSubscriptions(sub, { retryMs: 50 });
    const channel = roomChannel('conversation:b');
    void sub.ssubscribe(channel);
    await waitFor(async () => !(await isHealthy(tracker)), { message: 'refusal noticed' });
    // The room emptied: the adapter unsubscribes, and nothing is owed any more.
    await sub.sunsubscribe(channel);
    expect(await isHealthy(tracker)).toBe(true);
  });
});
