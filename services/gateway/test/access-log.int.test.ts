import { createLogger } from '@chat/core';
import {
  startMongo,
  startRedis,
  waitFor,
  type MongoFixture,
  type RedisServer,
} from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type GatewayApp } from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import { createDeps, type GatewayDeps } from '../src/deps.js';
import { GENEROUS_LIMITS } from './fixtures/cluster.js';

/** Issue 18: one info line per HTTP response, with the route pattern and no secrets. */
const SIG = 'f00dfacef00dfacef00dfacef00dface';
const PASSWORD = 'Access-Log-Password-0xACE';

let redis: RedisServer;
let mongo: MongoFixture;
let deps: GatewayDeps;
let gateway: GatewayApp;
let url: string;
const lines: string[] = [];

interface AccessLine {
  level: number;
  msg: string;
  method: string;
  route: string;
  status: number;
  ms: number;
  reqId: string;
  userId?: string;
}

beforeAll(async () => {
  redis = await startRedis();
  mongo = await startMongo();
  const config = loadGatewayConfig({
    ...GENEROUS_LIMITS,
    JWT_SECRET: 'access-log-secret-0123456789-0123456789',
    MONGO_URL: mongo.url,
    MONGO_DB: mongo.databaseName,
    REDIS_URL: redis.url,
    NODE_ID: 'access-node',
  });
  // The production default level: the access log must show up without turning anything on.
  const logger = createLogger({
    name: 'gateway',
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
  });
  deps = await createDeps(config, logger);
  gateway = buildApp(deps);
  url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (gateway ? gateway.io.close(() => resolve()) : resolve()));
  await gateway?.app.close();
  await deps?.close();
  await mongo?.close();
  await redis?.stop();
});

function accessLines(): AccessLine[] {
  return lines
    .map((l) => JSON.parse(l) as AccessLine)
    .filter((l) => l.msg === 'http' && typeof l.route === 'string');
}

async function lineFor(reqId: string): Promise<AccessLine> {
  let found: AccessLine | undefined;
  await waitFor(() => (found = accessLines().find((l) => l.reqId === reqId)) !== undefined);
  return found!;
}

describe('HTTP access log', () => {
  it('logs method, route pattern, status, time, request id and user id at info', async () => {
    const register = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-register' },
      body: JSON.stringify({ username: `alog_${process.pid % 1000}`, password: PASSWORD }),
    });
    expect(register.status).toBe(201);
    const { accessToken: token, user } = (await register.json()) as {
      accessToken: string;
      user: { id: string };
    };
    const registered = await lineFor('req-register');
    expect(registered).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/api/auth/register',
      status: 201,
    });
    expect(registered.userId).toBeUndefined();
    expect(registered.ms).toBeGreaterThanOrEqual(0);

    const me = await fetch(`${url}/api/users/${user.id}?secret=${SIG}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-user' },
    });
    expect(me.status).toBe(200);
    expect(await lineFor('req-user')).toMatchObject({
      method: 'GET',
      route: '/api/users/:id',
      status: 200,
      userId: user.id,
    });

    // A signed file link's query string is a credential: only the pattern is logged.
    const file = await fetch(`${url}/files/${user.id}/a.png?exp=9999999999999&sig=${SIG}`, {
      headers: { 'x-request-id': 'req-file' },
    });
    expect(file.status).toBe(403);
    expect(await lineFor('req-file')).toMatchObject({ route: '/files/:id/:name', status: 403 });

    const missing = await fetch(`${url}/nowhere?sig=${SIG}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-404' },
    });
    expect(missing.status).toBe(404);
    expect(await lineFor('req-404')).toMatchObject({ route: '(no route)', status: 404 });

    const all = lines.join('');
    for (const secret of [SIG, token, token.split('.')[2]!, PASSWORD, user.id + '?'])
      expect(all).not.toContain(secret);
    expect(all).not.toContain('authorization');
  });

  it('keeps the balancer and Prometheus polls below info', async () => {
    const res = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'req-health' } });
    expect(res.status).toBe(200);
    // Wait for a later line so a missing health line is not just a slow write.
    await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-after' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
    });
    expect((await lineFor('req-after')).status).toBe(401);
    expect(accessLines().some((l) => l.reqId === 'req-health')).toBe(false);
  });
});
