import { roomChannel, trackShardedSubscriptions } from '@chat/redis';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The sharded adapter sends SSUBSCRIBE and never looks at the reply: a refused subscription
 * would leave a node deaf to a room for good. Redis refuses for real here: an ACL user
 * without channel permissions gets NOPERM, until an operator grants them.
 */
describe('shard channel subscriptions', () => {
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
  const isHealthy = (tracker: ReturnType<typeof trackShardedSubscriptions>) =>
    tracker.healthy().then(
      () => true,
      () => false,
    );

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
    const delivered = new Promise<[string, string]>((resolve) =>
      sub.once('smessage', (from: string, text: string) => resolve([from, text])),
    );
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
