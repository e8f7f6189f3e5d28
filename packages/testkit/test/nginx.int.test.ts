import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNginxConfig, startNginx, waitFor, type NginxServer } from '../src/index.js';

interface Echo {
  id: string;
  headers: Record<string, string | string[] | undefined>;
}

function startUpstream(id: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id, headers: req.headers } satisfies Echo));
  });
  // A minimal websocket-style upgrade: answer 101 and echo one line back.
  server.on('upgrade', (_req, socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    );
    socket.on('data', (data) => socket.end(`${id}:${data.toString()}`));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      resolve({ server, port: address.port });
    });
  });
}

function get(url: string, localAddress?: string): Promise<{ status: number; body: Echo }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Echo });
        } catch (error) {
          reject(new Error(`bad body ${res.statusCode}: ${text}`, { cause: error }));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('startNginx + renderNginxConfig', () => {
  let a: { server: Server; port: number };
  let b: { server: Server; port: number };
  let nginx: NginxServer;

  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    nginx = await startNginx(({ listen }) =>
      renderNginxConfig({
        listenPort: listen,
        upstreams: [
          { host: '127.0.0.1', port: a.port },
          { host: '127.0.0.1', port: b.port },
        ],
      }),
    );
  });

  afterAll(async () => {
    await nginx.stop();
    await Promise.all([closeServer(a.server), closeServer(b.server)]);
  });

  it('renders the sticky, websocket-aware config', () => {
    const text = renderNginxConfig({ listenPort: 1234, upstreams: [{ host: 'h', port: 1 }] });
    expect(text).toContain('hash $remote_addr consistent;');
    expect(text).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(text).toContain('proxy_read_timeout 75s;');
    expect(text).toContain('client_max_body_size 26m;');
    expect(text).toContain('proxy_buffering off;');
    expect(() => renderNginxConfig({ listenPort: 1, upstreams: [] })).toThrow();
  });

  it('proxies with forwarding headers', async () => {
    const { status, body } = await get(`${nginx.url}/x`);
    expect(status).toBe(200);
    expect(['a', 'b']).toContain(body.id);
    expect(body.headers['x-real-ip']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-proto']).toBe('http');
  });

  it('is sticky per client address and spreads different addresses', async () => {
    const seen = new Map<string, string>();
    for (let i = 1; i <= 24; i += 1) {
      const address = `127.0.${i}.${i + 1}`;
      const first = await get(`${nginx.url}/`, address);
      seen.set(address, first.body.id);
      for (let j = 0; j < 3; j += 1) {
        const again = await get(`${nginx.url}/`, address);
        expect(again.body.id).toBe(first.body.id);
        expect(again.body.headers['x-real-ip']).toBe(address);
      }
    }
    expect(new Set(seen.values())).toEqual(new Set(['a', 'b']));
  });

  it('passes websocket upgrades through', async () => {
    const socket = connect({ port: nginx.port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n\r\n') && !text.includes(':ping')) socket.write('ping');
    });
    socket.write(
      'GET /socket.io/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    await waitFor(() => /:ping$/.test(text), { timeout: 5_000, message: 'upgrade echo' });
    socket.destroy();
    expect(text.startsWith('HTTP/1.1 101')).toBe(true);
  });

  it('skips a dead upstream, and reload() applies a new config', async () => {
    await nginx.reload(({ listen }) =>
      renderNginxConfig({
        listenPort: listen,
        upstreams: [
          // Nothing listens on port 1: connections are refused, nginx moves on.
          { host: '127.0.0.1', port: 1 },
          { host: '127.0.0.1', port: b.port },
        ],
      }),
    );
    for (let i = 1; i <= 10; i += 1) {
      const { status, body } = await get(`${nginx.url}/`, `127.1.${i}.1`);
      expect(status).toBe(200);
      expect(body.id).toBe('b');
    }
  });

  it('reports an invalid config with nginx output', async () => {
    await expect(nginx.reload('this is not nginx')).rejects.toThrow(/invalid/);
    await expect(startNginx('events {} http { nonsense_directive; }')).rejects.toThrow(
      /nonsense_directive/,
    );
  });
});
