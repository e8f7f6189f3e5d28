import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@chat/protocol';
import {
  generateSelfSignedCert,
  getFreePort,
  renderNginxConfig,
  startNginx,
  waitForEvent,
  type CertificatePair,
  type NginxServer,
} from '@chat/testkit';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirect, sendText, startTestCluster, type TestCluster } from './fixtures/cluster.js';

/*
 * TLS at the edge: the real nginx terminates HTTPS/WSS with a certificate from a
 * directory (as compose mounts it) and redirects plain HTTP; socket.io-client talks wss://
 * through it to two gateways.
 */
let cluster: TestCluster;
let nginx: NginxServer;
let certDir: string;
let pair: CertificatePair;
let redirectPort: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2 });
  certDir = await mkdtemp(join(tmpdir(), 'chat-tls-'));
  pair = await generateSelfSignedCert(certDir);
  redirectPort = await getFreePort();
  const port = await getFreePort();
  nginx = await startNginx(
    renderNginxConfig({
      listenPort: port,
      upstreams: cluster.nodes.map((n) => {
        const url = new URL(n.url);
        return { host: url.hostname, port: Number(url.port) };
      }),
      tls: { certFile: pair.certFile, keyFile: pair.keyFile, redirectPort },
    }),
    { port },
  );
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await nginx?.stop();
  await cluster?.close();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

/** GET over https, trusting only the test certificate. */
function httpsGet(path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: nginx.port, path, ca: pair.cert, servername: 'localhost' },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('TLS at the edge', () => {
  it('serves the API over HTTPS with HSTS, and redirects plain HTTP to HTTPS', async () => {
    const ready = await httpsGet('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers['strict-transport-security']).toBe('max-age=31536000');
    const redirect = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      const req = plainRequest(
        { host: '127.0.0.1', port: redirectPort, path: '/api/users/me?x=1' },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(redirect.status).toBe(301);
    expect(redirect.location).toBe(`https://127.0.0.1:${nginx.port}/api/users/me?x=1`);
  });

  it('carries a socket.io session over wss:// and delivers a message across nodes', async () => {
    const [a, b] = await Promise.all([cluster.register('tls_a'), cluster.register('tls_b')]);
    const conv = await openDirect(cluster, a, b);
    const connect = (token: string) => {
      const socket = connectSocket(`wss://localhost:${nginx.port}`, {
        auth: { token },
        transports: ['websocket'],
        ca: pair.cert.toString('utf8'),
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      return socket;
    };
    const bob = connect(b.token);
    await waitForEvent(bob, 'session');
    const alice = connect(a.token);
    await waitForEvent(alice, 'session');
    const arrived = waitForEvent<{ message: Message }>(bob, 'message:new');
    const sent = await sendText(alice, conv.id, 'over wss');
    expect((await arrived).message.id).toBe(sent.id);
    // The socket really is TLS end to end to nginx: a client that does not trust the
    // certificate is refused.
    const untrusting = connectSocket(`wss://localhost:${nginx.port}`, {
      auth: { token: a.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(untrusting);
    const refused = await waitForEvent<Error>(untrusting, 'connect_error');
    expect(refused).toBeInstanceOf(Error);
  });
});
