import { ConfigError } from '@chat/core';
import { LIMITS } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { createOriginCheck } from '../src/limits/origin.js';

const base = { MONGO_URL: 'mongodb://127.0.0.1:27017/', REDIS_URL: 'redis://127.0.0.1:6379' };
const strong = 'k'.repeat(16) + 'Q'.repeat(16) + '0123456789';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => p.name);
  }
}

describe('JWT_SECRET in production', () => {
  it('refuses to start with the built-in default secret', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'production' })).toContain('JWT_SECRET');
  });

  it('refuses a short secret', () => {
    expect(
      problemsOf({
        ...base,
        NODE_ENV: 'production',
        JWT_SECRET: 'short-secret-31-chars-xxxxxxxxx',
      }),
    ).toContain('JWT_SECRET');
  });

  it('accepts a secret of at least 32 characters', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'production', JWT_SECRET: strong })).toEqual([]);
  });

  it('development may run on the default secret', () => {
    expect(problemsOf({ ...base })).toEqual([]);
  });

  it('the error names the variable but never echoes the secret', () => {
    const secret = 'short-but-very-secret';
    try {
      loadGatewayConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: secret });
      expect.unreachable();
    } catch (err) {
      expect(String(err)).toContain('JWT_SECRET');
      expect(String(err)).not.toContain(secret);
    }
  });
});

describe('abuse limits config', () => {
  it('defaults are the limits of docs/PROTOCOL.md#section-4', () => {
    const { abuse } = loadGatewayConfig(base);
    expect(abuse.socket.burst).toBe(LIMITS.socketEventsBurst);
    expect(abuse.socket.perSecond).toBe(LIMITS.socketEventsPerSecond);
    expect(abuse.messages).toEqual({
      perWindow: LIMITS.userMessagesPerWindow,
      windowMs: LIMITS.userMessagesWindowMs,
    });
    expect(abuse.login.failuresPerIpUsername).toBe(LIMITS.loginFailuresPerIpUsernamePerMinute);
    expect(abuse.login.failuresPerIp).toBe(LIMITS.loginFailuresPerIpPerMinute);
    expect(abuse.login.windowMs).toBe(60_000);
    expect(abuse.register.perIpPerHour).toBe(LIMITS.registrationsPerIpPerHour);
    expect(abuse.corsOrigins).toEqual([]);
  });

  it('reads every variable and rejects nonsense, naming it', () => {
    const { abuse } = loadGatewayConfig({
      ...base,
      RATE_SOCKET_BURST: '5',
      RATE_SOCKET_PER_SEC: '2',
      RATE_MESSAGES_PER_WINDOW: '7',
      RATE_MESSAGES_WINDOW_MS: '3s',
      MAX_SOCKETS_PER_USER: '4',
      SOCKET_BACKLOG_MAX_BYTES: '1048576',
      CORS_ORIGINS: 'https://a.example,https://b.example:8443',
    });
    expect(abuse.socket).toMatchObject({
      burst: 5,
      perSecond: 2,
      maxPerUser: 4,
      backlogMaxBytes: 1048576,
    });
    expect(abuse.messages).toEqual({ perWindow: 7, windowMs: 3000 });
    expect(abuse.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(problemsOf({ ...base, RATE_SOCKET_BURST: '0', MAX_SOCKETS_PER_USER: 'many' })).toEqual(
      expect.arrayContaining(['RATE_SOCKET_BURST', 'MAX_SOCKETS_PER_USER']),
    );
  });
});

describe('origin check', () => {
  const check = createOriginCheck(['https://app.example', 'http://localhost:5173']);

  it('allows requests without Origin (native clients, bots) and listed origins', () => {
    expect(check({ host: 'chat.example' })).toBe(true);
    expect(check({ origin: 'https://app.example', host: 'chat.example' })).toBe(true);
    expect(check({ origin: 'http://localhost:5173', host: 'chat.example' })).toBe(true);
  });

  it('allows same-origin, also when the balancer dropped the port from Host', () => {
    expect(check({ origin: 'https://chat.example', host: 'chat.example' })).toBe(true);
    expect(check({ origin: 'http://localhost:8080', host: 'localhost' })).toBe(true);
    expect(check({ origin: 'http://localhost:8080', host: 'localhost:8080' })).toBe(true);
    expect(check({ origin: 'http://[::1]:8080', host: '[::1]:8080' })).toBe(true);
  });

  it('refuses foreign, look-alike and opaque origins', () => {
    expect(check({ origin: 'https://evil.example', host: 'chat.example' })).toBe(false);
    expect(check({ origin: 'https://app.example.evil.example', host: 'chat.example' })).toBe(false);
    expect(check({ origin: 'http://app.example', host: 'chat.example' })).toBe(false);
    expect(check({ origin: 'http://localhost:9999', host: 'localhost:8080' })).toBe(false);
    expect(check({ origin: 'null', host: 'chat.example' })).toBe(false);
    expect(check({ origin: 'not a url', host: 'chat.example' })).toBe(false);
    expect(check({ origin: 'https://evil.example' })).toBe(false);
  });

  it('`*` is an explicit opt-in to every origin', () => {
    expect(
      createOriginCheck(['*'])({ origin: 'https://anything.example', host: 'chat.example' }),
    ).toBe(true);
    expect(
      createOriginCheck([])({ origin: 'https://anything.example', host: 'chat.example' }),
    ).toBe(false);
  });
});
