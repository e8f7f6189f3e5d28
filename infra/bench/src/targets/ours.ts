import { hashPassword, createTokenService, type TokenService } from '@chat/auth';
import type { Conversation, MessageEvent } from '@chat/protocol';
import { connectMongo, type MongoStore } from '@chat/store';
import { startCluster, type BenchCluster, type StartClusterOptions } from '../cluster.js';
import { createCommandCounter } from '../command-counts.js';
import { connectSocket, mapLimit, type BenchSocket } from '../load.js';
import type { BenchUserRef, Prepared, SetupPlan, Target, TargetSocket } from '../target.js';

/** Must match the gateway's defaults (services/gateway/src/config.ts): the bench mints tokens the nodes accept. */
const ISSUER = 'chat-cluster';
const AUDIENCE = 'chat-clients';

export interface OursTarget extends Target {
  readonly cluster: BenchCluster;
  /** The seeding connection to the same database the gateways use. */
  readonly store: MongoStore;
  connectRaw(user: BenchUserRef): Promise<BenchSocket>;
}

async function postJson<T>(url: string, body: unknown, token: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function wrap(socket: BenchSocket): TargetSocket {
  return {
    send(roomId, clientMsgId, text, onAck) {
      socket.emit('message:send', { conversationId: roomId, clientMsgId, text }, (response) => {
        onAck?.(response.ok, response.ok ? undefined : response.error.code);
      });
    },
    onMessage(handler) {
      socket.on('message:new', ({ message }: MessageEvent) => {
        handler({
          roomId: message.conversationId,
          senderId: message.senderId,
          text: message.text ?? '',
        });
      });
    },
    close() {
      socket.close();
    },
  };
}

/**
 * Our cluster: Redis, the embedded Mongo process and N gateways. Users are seeded straight
 * into Mongo through @chat/store with one shared password hash (thousands of scrypt
 * registrations would dominate the run and measure nothing we compare); tokens are minted
 * with the cluster's secret, exactly as the gateway issues them. Conversations are created
 * through the public HTTP API.
 */
export async function startOurs(options: StartClusterOptions): Promise<OursTarget> {
  const cluster = await startCluster(options);
  let store: MongoStore | undefined;
  let counter: Awaited<ReturnType<typeof createCommandCounter>> | undefined;
  try {
    store = await connectMongo({ url: cluster.mongo.url, dbName: 'bench', maxPoolSize: 20 });
    counter = await createCommandCounter({
      redisUrl: cluster.redis.url,
      mongoUrl: cluster.mongo.url,
      nodeUrls: cluster.gateways.map((g) => g.url),
    });
  } catch (error) {
    await store?.close();
    await cluster.stop();
    throw error;
  }
  const counts = counter;
  const tokens: TokenService = createTokenService({
    secret: cluster.jwtSecret,
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 6 * 3600,
  });
  const passwordHash = await hashPassword('bench-password-1');
  const tag = Date.now().toString(36).slice(-6);
  let created = 0;
  const seeded = store;

  return {
    name: 'ours',
    acks: true,
    cluster,
    store: seeded,
    nodes: cluster.gateways.map((g) => ({ url: g.url, pid: g.pid })),
    processes: () => cluster.processes(),
    nodeProcesses: () => cluster.gateways.map((g, i) => ({ name: `gateway-${i + 1}`, pid: g.pid })),
    commandCounts: () => counts.read(),
    async prepare(plan: SetupPlan): Promise<Prepared> {
      const users = await mapLimit(
        Array.from({ length: plan.users }, (_, i) => i),
        32,
        async (i): Promise<BenchUserRef> => {
          const username = `b${tag}_${created + i}`;
          const doc = await seeded.users.create({ username, passwordHash });
          const userId = doc._id.toHexString();
          const { token } = await tokens.signAccessToken({ userId, username });
          return {
            userId,
            token,
            nodeUrl: cluster.gateways[plan.nodeOf(i) % cluster.gateways.length]?.url ?? '',
          };
        },
      );
      created += plan.users;
      const user = (i: number): BenchUserRef => users[i] as BenchUserRef;
      const directIds = await mapLimit(plan.directs, 16, async ([a, b]) => {
        const conversation = await postJson<Conversation>(
          `${user(a).nodeUrl}/api/conversations/direct`,
          { userId: user(b).userId },
          user(a).token,
        );
        return conversation.id;
      });
      const groupIds = await mapLimit(plan.groups, 4, async (members) => {
        const owner = user(members[0] ?? 0);
        const conversation = await postJson<Conversation>(
          `${owner.nodeUrl}/api/conversations/group`,
          { title: 'bench group', memberIds: members.slice(1).map((m) => user(m).userId) },
          owner.token,
        );
        return conversation.id;
      });
      return { users, directIds, groupIds };
    },
    async connect(user) {
      return wrap(await connectSocket(user));
    },
    connectRaw: (user) => connectSocket(user),
    async stop() {
      await counts.close().catch(() => undefined);
      await seeded.close().catch(() => undefined);
      await cluster.stop();
    },
  };
}
