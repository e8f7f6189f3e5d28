import { waitFor } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoggedGateway, type LoggedGateway } from './fixtures/logged-gateway.js';

/** One info line per HTTP response, with the route pattern and no secrets. */
const SIG = 'f00dfacef00dfacef00dfacef00dface';
const PASSWORD = 'Access-Log-Password-0xACE';

let node: LoggedGateway;
let url: string;
let lines: string[];

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
  // The production default level: the access log must show up without turning anything on.
  node = await startLoggedGateway({ level: 'info', nodeId: 'access-node' });
  ({ url, lines } = node);
});
afterAll(async () => {
  await node?.close();
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

    const missing = await fetch(`${url}/api/nowhere?sig=${SIG}`, {
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
