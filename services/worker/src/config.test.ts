import { ConfigError } from '@chat/core';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config.js';

const base = { REDIS_URL: 'redis://127.0.0.1:6379', MONGO_URL: 'mongodb://127.0.0.1:27017' };

describe('loadWorkerConfig', () => {
  it('applies the defaults', () => {
    expect(loadWorkerConfig(base)).toMatchObject({
      redis: { topology: { kind: 'single', url: base.REDIS_URL }, adapter: 'auto' },
      mongo: { url: base.MONGO_URL, dbName: 'chat' },
      webhook: { url: undefined, timeoutMs: 10_000, attempts: undefined, backoffMs: undefined },
      presence: { sweepIntervalMs: 10_000 },
      logLevel: 'info',
      lockDurationMs: 30_000,
    });
  });

  it('reads every variable', () => {
    const config = loadWorkerConfig({
      ...base,
      MONGO_DB: 'x',
      NOTIFY_WEBHOOK_URL: 'https://hooks.example/chat',
      NOTIFY_WEBHOOK_SECRET: 's3cret',
      WEBHOOK_ATTEMPTS: '3',
      WEBHOOK_BACKOFF_MS: '250',
      WEBHOOK_TIMEOUT_MS: '2000',
      PRESENCE_SWEEP_INTERVAL_MS: '500',
      PRESENCE_TTL_MS: '5000',
      LOG_LEVEL: 'debug',
      METRICS_PORT: '9100',
    });
    expect(config).toMatchObject({
      mongo: { dbName: 'x' },
      webhook: {
        url: 'https://hooks.example/chat',
        secret: 's3cret',
        attempts: 3,
        backoffMs: 250,
        timeoutMs: 2000,
      },
      presence: { sweepIntervalMs: 500, ttlMs: 5000 },
      logLevel: 'debug',
      metricsPort: 9100,
    });
  });

  it.each([
    [{}, ['REDIS_URL', 'MONGO_URL']],
    [{ ...base, REDIS_URL: 'http://x' }, ['REDIS_URL']],
    [{ ...base, NOTIFY_WEBHOOK_URL: 'https://h.example' }, ['NOTIFY_WEBHOOK_SECRET']],
    [
      { ...base, NOTIFY_WEBHOOK_URL: 'ftp://h.example', NOTIFY_WEBHOOK_SECRET: 's' },
      ['NOTIFY_WEBHOOK_URL'],
    ],
    [
      { ...base, WEBHOOK_ATTEMPTS: '0', PRESENCE_SWEEP_INTERVAL_MS: 'soon' },
      ['WEBHOOK_ATTEMPTS', 'PRESENCE_SWEEP_INTERVAL_MS'],
    ],
    [{ ...base, LOG_LEVEL: 'loud' }, ['LOG_LEVEL']],
  ])('names every bad variable (%j)', (env, names) => {
    try {
      loadWorkerConfig(env);
      expect.unreachable('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.name).sort()).toEqual([...names].sort());
    }
  });
});
