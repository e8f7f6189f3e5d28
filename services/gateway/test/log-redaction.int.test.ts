import { waitFor, waitForEvent } from '@chat/testkit';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayApp } from '../src/app.js';
import { startLoggedGateway, type LoggedGateway } from './fixtures/logged-gateway.js';

/** Credentials and message text must never reach the logs (docs/DESIGN.md#decision-10). */
const PASSWORD = 'Secret-Password-0xC0FFEE';
const TEXT = 'private-message-text-0xBEEF';

let node: LoggedGateway;
let gateway: GatewayApp;
let url: string;
let lines: string[];
const sockets: Socket[] = [];

beforeAll(async () => {
  node = await startLoggedGateway({
    // Every level, so nothing hides below the threshold of a production node.
    level: 'trace',
    nodeId: 'log-node',
    // Tight enough that the test also walks the rate-limit and flood paths, which log.
    env: { RATE_SOCKET_BURST: '5', RATE_SOCKET_PER_SEC: '1', RATE_SOCKET_FLOOD_DISCONNECT: '5' },
  });
  ({ url, lines, gateway } = node);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await node?.close();
});

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('log redaction', () => {
  it('no password, token or message text in any captured log line', async () => {
    const username = `logger_${process.pid % 1000}`;
    const registered = await post('/api/auth/register', { username, password: PASSWORD });
    expect(registered.status).toBe(201);
    const token = registered.body.accessToken as string;
    const userId = (registered.body.user as { id: string }).id;
    expect((await post('/api/auth/login', { username, password: PASSWORD })).status).toBe(200);
    expect(
      (await post('/api/auth/login', { username, password: `${PASSWORD}-wrong` })).status,
    ).toBe(401);
    const group = await post('/api/conversations/group', { title: 'logs', memberIds: [] }, token);
    expect(group.status).toBe(201);
    const conversationId = group.body.id as string;
    expect(
      (
        await post(
          `/api/conversations/${conversationId}/messages`,
          { clientMsgId: 'h1', text: TEXT },
          token,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await post(
          `/api/conversations/${conversationId}/messages`,
          { clientMsgId: 'h2', text: TEXT, bogus: TEXT },
          token,
        )
      ).status,
    ).toBe(400);

    const socket = connectSocket(url, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    await waitForEvent(socket, 'session');
    const sent = (await socket
      .timeout(10_000)
      .emitWithAck('message:send', { conversationId, clientMsgId: 's1', text: TEXT })) as {
      ok: boolean;
    };
    expect(sent.ok).toBe(true);
    await socket.timeout(10_000).emitWithAck('auth:renew', { token: `${token}x` });
    // Flood until the server cuts the socket: the warn line names the socket and user only.
    const gone = waitForEvent(socket, 'disconnect');
    for (let i = 0; i < 30; i++)
      socket.emit('message:send', { conversationId, clientMsgId: `f${i}`, text: TEXT });
    await gone;

    // The app's own logger, handed what a careless handler might log.
    gateway.app.log.info(
      {
        req: { headers: { authorization: `Bearer ${token}` } },
        body: { password: PASSWORD },
        message: { text: TEXT },
        token,
      },
      'careless line',
    );
    await waitFor(() => lines.some((l) => l.includes('careless line')));
    await waitFor(() => lines.some((l) => l.includes('kept flooding')));

    const all = lines.join('');
    expect(all).toContain(userId);
    for (const secret of [PASSWORD, TEXT, token, token.split('.')[2]!])
      expect(all).not.toContain(secret);
    expect(all).toContain('[redacted]');
  });
});
