import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../src/index.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('startRedisCluster', () => {
  it('runs 3 masters with a replica each, serving every slot', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(await cluster.masterPorts()).toHaveLength(3);
    const client = cluster.client();
    try {
      // Keys in all three masters' slots.
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) await client.set(key, key);
      expect(await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => client.get(k)))).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
        'f',
      ]);
    } finally {
      client.disconnect();
    }
  });

  it('fails a killed master over to its replica, and the node rejoins after a restart', async () => {
    const client = cluster.client();
    try {
      const before = await cluster.masterPorts();
      const killed = await cluster.killMaster({ slot: 0 });
      expect(before).toContain(killed);
      const after = await cluster.masterPorts();
      expect(after).toHaveLength(3);
      expect(after).not.toContain(killed);
      await client.set('after-failover', '1');
      expect(await client.get('after-failover')).toBe('1');
      await cluster.restartNode(killed);
      expect(cluster.nodes.find((n) => n.port === killed)?.running).toBe(true);
      expect(await cluster.masterPorts()).not.toContain(killed);
    } finally {
      client.disconnect();
    }
  });
});
