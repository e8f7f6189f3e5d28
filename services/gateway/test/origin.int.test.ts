import { waitForEvent } from '@chat/testkit';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestCluster, type ClientSocket, type TestUser } from './fixtures/cluster.js';

const ALLOWED = 'https://app.example';
const EVIL = 'https://evil.example';
const cluster = useTestCluster({ nodes: 2, env: { CORS_ORIGINS: ALLOWED } });
let user: TestUser;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  user = await cluster.register(`origin_${process.pid % 1000}`);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
});

/** Resolves 'connected' or the connect_error message. */
async function handshake(transport: 'websocket' | 'polling', origin?: string): Promise<string> {
  const socket: ClientSocket = connectSocket(cluster.nodes[1]!.url, {
    auth: { token: user.token },
    transports: [transport],
    reconnection: false,
    forceNew: true,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  sockets.push(socket);
  const outcome = await Promise.race([
    waitForEvent(socket, 'session').then(() => 'connected'),
    waitForEvent<Error>(socket, 'connect_error').then((err) => err.message),
  ]);
  socket.disconnect();
  return outcome;
}

describe('Socket.IO handshake Origin check (allowRequest)', () => {
  for (const transport of ['websocket', 'polling'] as const) {
    it(`${transport}: a disallowed Origin is refused; listed, same-origin and no Origin connect`, async () => {
      expect(await handshake(transport, EVIL)).not.toBe('connected');
      expect(await handshake(transport, 'null')).not.toBe('connected');
      expect(await handshake(transport, ALLOWED)).toBe('connected');
      expect(await handshake(transport, cluster.nodes[1]!.url)).toBe('connected');
      expect(await handshake(transport)).toBe('connected');
    });
  }

  it('the raw polling handshake from a foreign Origin gets 403 before any session exists', async () => {
    const url = `${cluster.nodes[0]!.url}/socket.io/?EIO=4&transport=polling`;
    const refused = await fetch(url, { headers: { origin: EVIL } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toMatch(/sid/);
    const accepted = await fetch(url, { headers: { origin: ALLOWED } });
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toMatch(/"sid"/);
  });
});

describe('HTTP: CORS and security headers', () => {
  it('preflight: a listed origin gets CORS headers, a foreign one none', async () => {
    const preflight = (origin: string) =>
      fetch(`${cluster.nodes[0]!.url}/api/users/me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const ok = await preflight(ALLOWED);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const evil = await preflight(EVIL);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('responses carry helmet headers and no framework fingerprint', async () => {
    const res = await fetch(`${cluster.nodes[0]!.url}/api/users/me`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
