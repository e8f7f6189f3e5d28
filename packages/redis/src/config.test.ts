import { ConfigError, createEnvReader, type Env } from '@chat/core';
import { describe, expect, it } from 'vitest';
import { readQueuePrefix, readRedisConfig, redisEnvOf } from './config.js';

function read(env: Env) {
  const r = createEnvReader(env);
  const config = readRedisConfig(r, { defaultUrl: 'redis://127.0.0.1:6379' });
  const queuePrefix = readQueuePrefix(r, config.topology);
  r.done();
  return { config, queuePrefix };
}

describe('readRedisConfig', () => {
  it.each([
    [{}, { kind: 'single', url: 'redis://127.0.0.1:6379' }, undefined],
    [{ REDIS_URL: 'rediss://r:6380' }, { kind: 'single', url: 'rediss://r:6380' }, undefined],
    [
      { REDIS_URL: 'redis://ignored', REDIS_CLUSTER_NODES: 'a:7000, b:7001,[::1]:7002' },
      {
        kind: 'cluster',
        nodes: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
          { host: '::1', port: 7002 },
        ],
      },
      '{bull}',
    ],
    [{ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: 'q{x}' }, undefined, 'q{x}'],
    [{ QUEUE_PREFIX: 'plain' }, undefined, 'plain'],
  ])('%j', (env, topology, queuePrefix) => {
    const result = read(env);
    if (topology) expect(result.config.topology).toEqual(topology);
    expect(result.queuePrefix).toBe(queuePrefix);
  });

  it('defaults the adapter to auto and reads TLS and credentials', () => {
    const { config } = read({
      REDIS_CLUSTER_NODES: 'a:1',
      REDIS_ADAPTER: 'classic',
      REDIS_TLS: 'true',
      REDIS_TLS_VERIFY: 'false',
      REDIS_PASSWORD: 'p',
    });
    expect(config).toMatchObject({
      adapter: 'classic',
      tls: { rejectUnauthorized: false },
      password: 'p',
    });
    expect(read({}).config.adapter).toBe('auto');
    expect(read({}).config.tls).toBeUndefined();
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'a:7000,nonsense' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:99999' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: 'bull' }, 'QUEUE_PREFIX'],
    [{ REDIS_ADAPTER: 'fast' }, 'REDIS_ADAPTER'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
  ])('refuses %j naming the variable', (env, name) => {
    const error = (() => {
      try {
        read(env);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.name)).toContain(name);
  });

  it('gives gateway and worker the same variables back', () => {
    expect(redisEnvOf({ kind: 'cluster', nodes: [{ host: 'a', port: 1 }] })).toEqual({
      REDIS_CLUSTER_NODES: 'a:1',
    });
    expect(redisEnvOf({ kind: 'single', url: 'redis://x' })).toEqual({ REDIS_URL: 'redis://x' });
  });
});
