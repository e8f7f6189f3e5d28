import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, isPortOpen, startRedis, waitFor, type RedisServer } from '../src/index.js';

describe('startRedis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('starts a real redis-server that answers commands', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(isAlive(redis.pid)).toBe(true);
    const client = new Redis(redis.url);
    try {
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      const info = await client.info('server');
      expect(info).toContain(`process_id:${redis.pid}`);
    } finally {
      client.disconnect();
    }
  });

  it('restart comes back on the same port with empty data', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      await client.set('survives', 'no');
      const oldPid = redis.pid;
      await redis.restart();
      expect(redis.pid).not.toBe(oldPid);
      expect(isAlive(oldPid)).toBe(false);
      const fresh = new Redis(redis.url);
      try {
        expect(await fresh.get('survives')).toBeNull();
        expect(await fresh.dbsize()).toBe(0);
      } finally {
        fresh.disconnect();
      }
    } finally {
      client.disconnect();
    }
  });

  it('kill() is a crash: the process is gone and the port closed', async () => {
    const pid = redis.pid;
    await redis.kill();
    expect(isAlive(pid)).toBe(false);
    expect(await isPortOpen(redis.port)).toBe(false);
    await redis.restart();
    await waitFor(() => isPortOpen(redis.port), { timeout: 5_000 });
  });

  it('fails with a clear error when the port is taken', async () => {
    await expect(startRedis({ port: redis.port })).rejects.toThrow(/redis-server:\d+.*exited/s);
  });

  it('stop() leaves no process behind', async () => {
    const other = await startRedis();
    const pid = other.pid;
    await other.stop();
    expect(isAlive(pid)).toBe(false);
    await other.stop();
  });
});
