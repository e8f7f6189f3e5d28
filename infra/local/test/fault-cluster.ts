import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Agent, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatClient, type ChatClient } from '@chat/client';
import {
  GENEROUS_LIMITS,
  getFreePort,
  httpJson,
  registerUser,
  renderNginxConfig,
  repoRoot,
  spawnManaged,
  startNginx,
  startRedis,
  startWorker,
  TS_SOURCE_ARGS,
  waitFor,
  type ManagedProcess,
  type NginxServer,
  type RedisServer,
  type RegisteredUser,
} from '@chat/testkit';

/*
 * The cluster as ops run it, for fault tests: real gateway processes behind the real nginx
 * (the runner's template), a real redis-server, the embedded Mongo as its own process (so
 * it can be paused), the real worker and a webhook receiver. Loopback only.
 */

export interface FaultNode {
  id: string;
  port: number;
  process: ManagedProcess;
}

export type FaultUser = RegisteredUser;

export interface Hook {
  deliveryId: string;
  body: Record<string, unknown>;
}

export interface FaultCluster {
  /** nginx */
  url: string;
  nginx: NginxServer;
  redis: RedisServer;
  mongo: ManagedProcess;
  nodes: FaultNode[];
  worker: ManagedProcess | undefined;
  hooks: Hook[];
  /** (Re)starts node i on its port and waits for its /readyz. */
  startNode(i: number): Promise<FaultNode>;
  startWorker(): Promise<ManagedProcess>;
  register(username: string): Promise<FaultUser>;
  http<T>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  /** An SDK client through nginx from source address `address` (127.x.y.z) on one transport. */
  client(user: FaultUser, address: string, transport: 'websocket' | 'polling'): Promise<ChatClient>;
  close(): Promise<void>;
}

async function startMongoProcess(): Promise<{ process: ManagedProcess; url: string }> {
  let url: string | undefined;
  const proc = await spawnManaged(
    process.execPath,
    [...TS_SOURCE_ARGS, 'packages/embedded-mongo/src/cli.ts', '--port', '0'],
    {
      cwd: repoRoot,
      name: 'embedded-mongo',
      onLine: (line) => {
        if (url || !line.startsWith('{"url"')) return;
        url = (JSON.parse(line) as { url: string }).url;
      },
    },
  );
  await waitFor(
    () => {
      if (proc.exitInfo) throw new Error(`embedded mongo exited:\n${proc.output()}`);
      return url;
    },
    { timeout: 30_000, message: 'embedded mongo url' },
  );
  return { process: proc, url: url ?? '' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFaultCluster(options: {
  nodes: number;
  env?: Record<string, string>;
}): Promise<FaultCluster> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const mongo = await startMongoProcess();
    cleanups.push(() => mongo.process.stop(5_000));
    const hooks: Hook[] = [];
    const secret = 'fault-webhook-secret';
    const receiver = createServer((req, res) => {
      void readBody(req).then((raw) => {
        const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
        if (req.headers['x-chat-signature'] !== signature) {
          res.writeHead(401).end();
          return;
        }
        hooks.push({
          deliveryId: String(req.headers['x-chat-delivery-id']),
          body: JSON.parse(raw) as Record<string, unknown>,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          receiver.closeAllConnections();
          receiver.close(() => resolve());
        }),
    );
    const uploadDir = await mkdtemp(join(tmpdir(), 'chat-fault-uploads-'));
    cleanups.push(() => rm(uploadDir, { recursive: true, force: true }));

    const env: Record<string, string> = {
      JWT_SECRET: 'fault-secret-0123456789-0123456789-abcdef',
      MONGO_URL: mongo.url,
      MONGO_DB: 'chat',
      REDIS_URL: redis.url,
      UPLOAD_DIR: uploadDir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      NOTIFY_WEBHOOK_SECRET: secret,
      ...GENEROUS_LIMITS,
      ...options.env,
    };
    const ports = await Promise.all(Array.from({ length: options.nodes }, () => getFreePort()));
    const nodes: FaultNode[] = [];
    const startNode = async (i: number): Promise<FaultNode> => {
      const port = ports[i];
      if (port === undefined) throw new Error(`no node ${i}`);
      const id = `node-${i + 1}`;
      const proc = await spawnManaged(
        process.execPath,
        [...TS_SOURCE_ARGS, 'services/gateway/src/main.ts'],
        {
          cwd: repoRoot,
          env: { ...process.env, ...env, NODE_ID: id, PORT: String(port) },
          name: id,
        },
      );
      await waitFor(
        async () => {
          if (proc.exitInfo) throw new Error(`${id} exited early:\n${proc.output()}`);
          return (
            (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200
          );
        },
        { timeout: 40_000, interval: 100, message: `${id} ready` },
      );
      const node = { id, port, process: proc };
      nodes[i] = node;
      return node;
    };
    cleanups.push(() => Promise.all(nodes.map((n) => n.process.stop(5_000))));
    await Promise.all(ports.map((_, i) => startNode(i)));

    const nginx = await startNginx(
      renderNginxConfig({
        listenPort: await getFreePort(),
        upstreams: ports.map((port) => ({ host: '127.0.0.1', port })),
      }),
    );
    cleanups.push(() => nginx.stop());

    const clients: ChatClient[] = [];
    cleanups.push(async () => {
      for (const c of clients) c.close();
    });
    let worker: ManagedProcess | undefined;
    cleanups.push(async () => worker?.stop(5_000));

    const cluster: FaultCluster = {
      url: nginx.url,
      nginx,
      redis,
      mongo: mongo.process,
      nodes,
      get worker() {
        return worker;
      },
      hooks,
      startNode,
      async startWorker() {
        // LOG_LEVEL info after the cluster's warn: readiness is the worker's "worker ready" line.
        worker = await startWorker({ ...env, LOG_LEVEL: 'info', NODE_ID: 'worker' });
        return worker;
      },
      http: (method, path, options) => httpJson(nginx.url, method, path, options),
      register: (username) => registerUser(nginx.url, username),
      async client(user, address, transport) {
        const client = createChatClient({
          url: nginx.url,
          token: user.token,
          transports: [transport],
          ackTimeoutMs: 5_000,
          maxSendRetries: 20,
          // engine.io-client passes `localAddress` to ws and the agent to polling requests:
          // distinct loopback sources make nginx's `hash $remote_addr` spread the clients.
          socketOptions: {
            agent: new Agent({ localAddress: address }),
            localAddress: address,
          } as never,
        });
        clients.push(client);
        await client.connect();
        return client;
      },
      close: closeAll,
    };
    return cluster;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
