import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, type ChatClient } from '@chat/client';
import type { Message } from '@chat/protocol';
import {
  authenticate,
  getFreePort,
  httpJson,
  repoRoot,
  spawnManaged,
  startRedis,
  TS_SOURCE_ARGS,
  waitFor,
  type ManagedProcess,
  type RedisServer,
} from '@chat/testkit';

/*
 * The embedded MongoDB of `npm start` is durable (packages/embedded-mongo, SQLite in WAL mode):
 * SIGKILL it while a client sends, start it again on the same folder and port, and every
 * message the gateway acknowledged is there once, with seqs that strictly increase in send
 * order (the seq counter lives in Redis, seeded from MongoDB; DESIGN "acknowledged means stored").
 */

let redis: RedisServer;
let dataDir: string;
let mongoPort: number;
let mongo: ManagedProcess;
let gateway: ManagedProcess;
let gatewayUrl: string;
let client: ChatClient | undefined;

async function startMongo(): Promise<ManagedProcess> {
  let announced = false;
  const proc = await spawnManaged(
    process.execPath,
    [
      ...TS_SOURCE_ARGS,
      'packages/embedded-mongo/src/cli.ts',
      '--port',
      String(mongoPort),
      '--data-dir',
      dataDir,
    ],
    {
      cwd: repoRoot,
      name: 'embedded-mongo',
      onLine: (line) => {
        if (line.startsWith('{"url"')) announced = true;
      },
    },
  );
  await waitFor(
    () => {
      if (proc.exitInfo) throw new Error(`embedded mongo exited:\n${proc.output()}`);
      return announced;
    },
    { timeout: 60_000, message: 'embedded mongo url' },
  );
  return proc;
}

const http = <T>(method: string, path: string, token?: string, body?: unknown) =>
  httpJson<T>(gatewayUrl, method, path, { token, body });

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), 'durable-mongo-'));
  mongoPort = await getFreePort();
  mongo = await startMongo();
  const port = await getFreePort();
  gatewayUrl = `http://127.0.0.1:${port}`;
  gateway = await spawnManaged(
    process.execPath,
    [...TS_SOURCE_ARGS, 'services/gateway/src/main.ts'],
    {
      cwd: repoRoot,
      name: 'node-1',
      env: {
        ...process.env,
        MONGO_URL: `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`,
        MONGO_DB: 'chat',
        REDIS_URL: redis.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ID: 'node-1',
        LOG_LEVEL: 'warn',
        RATE_MESSAGES_PER_WINDOW: '1000000',
        RATE_SOCKET_BURST: '100000',
        RATE_SOCKET_PER_SEC: '100000',
      },
    },
  );
  await waitFor(
    async () => {
      if (gateway.exitInfo) throw new Error(`gateway exited:\n${gateway.output()}`);
      return (await fetch(`${gatewayUrl}/readyz`).catch(() => undefined))?.status === 200;
    },
    { timeout: 60_000, interval: 100, message: 'gateway ready' },
  );
}, 120_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop(5_000);
  await mongo?.stop(5_000);
  await redis?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('SIGKILL of the durable embedded MongoDB during sends', () => {
  it('keeps every acknowledged message, once, with strictly increasing seqs', async () => {
    const tag = `k${process.pid % 100000}`;
    const register = (name: string) => authenticate(gatewayUrl, 'register', `${tag}${name}`);
    const alice = await register('alice');
    const bob = await register('bob');
    const group = await http<{ id: string }>(
      'POST',
      '/api/conversations/group',
      alice.body.accessToken,
      { title: 'kill', memberIds: [bob.body.user.id] },
    );
    expect(group.status).toBe(201);
    client = createChatClient({
      url: gatewayUrl,
      token: alice.body.accessToken,
      ackTimeoutMs: 5_000,
      maxSendRetries: 20,
    });
    await client.connect();

    const acked: Message[] = [];
    const failed: string[] = [];
    let restarted = false;
    let killedAt = -1;
    for (let n = 0; !restarted || acked.length < killedAt + 20; n++) {
      const clientMsgId = `${tag}-${n}`;
      const sent = await client
        .send({ conversationId: group.body.id, clientMsgId, text: clientMsgId })
        .catch(() => undefined);
      if (sent) acked.push(sent);
      else failed.push(clientMsgId);
      if (acked.length === 30 && killedAt < 0) {
        killedAt = acked.length;
        process.kill(mongo.pid, 'SIGKILL');
        await mongo.exited;
        // The next sends meet a dead MongoDB; the restart comes while the SDK retries them.
        void startMongo().then((proc) => {
          mongo = proc;
          restarted = true;
        });
      }
      if (n > 2_000) throw new Error('sends did not recover after the restart');
    }

    const stored: Message[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await http<{ messages: Message[]; hasMore: boolean }>(
        'GET',
        `/api/conversations/${group.body.id}/messages?limit=100${before === undefined ? '' : `&before=${before}`}`,
        bob.body.accessToken,
      );
      stored.push(...page.body.messages);
      if (!page.body.hasMore || page.body.messages.length === 0) break;
      before = Math.min(...page.body.messages.map((m) => m.seq));
    }
    const byClientId = new Map<string, Message[]>();
    for (const m of stored)
      byClientId.set(m.clientMsgId ?? '', [...(byClientId.get(m.clientMsgId ?? '') ?? []), m]);
    expect([...byClientId].filter(([, list]) => list.length > 1)).toEqual([]);
    expect(acked.filter((m) => !byClientId.has(m.clientMsgId ?? ''))).toEqual([]);
    for (const m of acked) expect(byClientId.get(m.clientMsgId ?? '')?.[0]?.id).toBe(m.id);
    const seqs = acked.map((m) => m.seq);
    expect(
      seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? 0)),
      seqs.join(','),
    ).toBe(true);
    expect(new Set(stored.map((m) => m.seq)).size).toBe(stored.length);
    expect(acked.length).toBeGreaterThanOrEqual(killedAt + 20);
  }, 240_000);
});
