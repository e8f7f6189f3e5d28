import { randomBytes } from 'node:crypto';
import {
  getFreePort,
  spawnManaged,
  startRedis,
  waitUntilReady,
  type ManagedProcess,
  type RedisServer,
} from '@chat/testkit';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { startMongoProcess } from '../cluster.js';
import { createCommandCounter } from '../command-counts.js';
import { serverEntryArgs, serverEnv, type ServerBuild } from '../server-build.js';
import type { BenchUserRef, Prepared, SetupPlan, Target, TargetSocket } from '../target.js';
import { REFERENCE_AUDIENCE, REFERENCE_ISSUER, type ReferenceRelay } from './protocol.js';

export interface StartReferenceOptions {
  /**
   * The seed-style persisted server instead of the relay: the same server with the embedded
   * Mongo behind it, storing every message before it relays and acks it (server.ts).
   */
  persisted?: boolean;
  nodes: number;
  repoRoot: string;
  log: (line: string) => void;
  nodeArgs?: string[];
  /** @default 'dist' */
  build?: ServerBuild;
}

const START_TIMEOUT_MS = 60_000;

/**
 * A reference cluster: its own redis-server (and, persisted, its own embedded Mongo process)
 * and N reference server processes, the same node count and the same machine as ours. Users
 * and rooms are ids the bench invents; the token carries the user's rooms (a tutorial server
 * has no database to look them up in).
 */
export async function startReference(options: StartReferenceOptions): Promise<Target> {
  const persisted = options.persisted === true;
  const prefix = persisted ? 'persisted' : 'ref';
  const started: ManagedProcess[] = [];
  let redis: RedisServer | undefined;
  let closeCounter: (() => Promise<void>) | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await closeCounter?.();
    await Promise.all(started.map((p) => p.stop(5_000)));
    await redis?.stop();
  };
  try {
    redis = await startRedis();
    const mongo = persisted
      ? await startMongoProcess(
          options.repoRoot,
          options.log,
          options.nodeArgs ?? [],
          options.build ?? 'dist',
        )
      : undefined;
    if (mongo) started.push(mongo.child);
    const secret = randomBytes(32).toString('hex');
    const nodes = await Promise.all(
      Array.from({ length: options.nodes }, async (_, i) => {
        const port = await getFreePort();
        let ready = false;
        const child = await spawnManaged(
          process.execPath,
          [
            ...serverEntryArgs(
              options.repoRoot,
              'infra/bench',
              'reference/server',
              options.build ?? 'dist',
              options.nodeArgs,
            ),
            '--port',
            String(port),
            '--redis',
            redis?.url ?? '',
            '--secret',
            secret,
            '--node-id',
            `${prefix}-${i + 1}`,
            ...(mongo ? ['--mongo', mongo.url] : []),
          ],
          {
            name: `${prefix}-${i + 1}`,
            cwd: options.repoRoot,
            env: serverEnv(options.build ?? 'dist'),
            onLine: (line, stream) => {
              if (stream === 'stderr') options.log(`[${prefix}-${i + 1}] ${line}`);
              else if (line.includes('"ready":true')) ready = true;
            },
          },
        );
        started.push(child);
        await waitUntilReady(child, () => ready, {
          timeout: START_TIMEOUT_MS,
          what: `${prefix}-${i + 1} listening`,
        });
        return { url: `http://127.0.0.1:${port}`, pid: child.pid };
      }),
    );
    const key = new TextEncoder().encode(secret);
    const redisPid = redis.pid;
    const counter = await createCommandCounter({
      redisUrl: redis.url,
      ...(mongo ? { mongoUrl: mongo.url } : {}),
    });
    closeCounter = () => counter.close();
    const nodeProcesses = () => nodes.map((n, i) => ({ name: `${prefix}-${i + 1}`, pid: n.pid }));
    let nextUser = 0;
    let nextRoom = 0;

    const mint = (userId: string, rooms: string[]): Promise<string> =>
      new SignJWT({ rooms })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(REFERENCE_ISSUER)
        .setAudience(REFERENCE_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('6h')
        .sign(key);

    return {
      name: persisted ? 'persisted' : 'reference',
      acks: persisted,
      nodes,
      processes: () => [
        ...nodeProcesses(),
        ...(mongo ? [{ name: 'mongo', pid: mongo.child.pid }] : []),
        { name: 'redis', pid: redisPid },
        { name: 'bench', pid: process.pid },
      ],
      nodeProcesses,
      commandCounts: () => counter.read(),
      async prepare(plan: SetupPlan): Promise<Prepared> {
        const ids = Array.from({ length: plan.users }, () => `u${nextUser++}`);
        const roomsOf = ids.map((): string[] => []);
        const directIds = plan.directs.map(([a, b]) => {
          const room = `d${nextRoom++}`;
          roomsOf[a]?.push(room);
          roomsOf[b]?.push(room);
          return room;
        });
        const groupIds = plan.groups.map((members) => {
          const room = `g${nextRoom++}`;
          for (const m of members) roomsOf[m]?.push(room);
          return room;
        });
        const users = await Promise.all(
          ids.map(async (userId, i): Promise<BenchUserRef> => ({
            userId,
            token: await mint(userId, roomsOf[i] ?? []),
            nodeUrl: nodes[plan.nodeOf(i) % nodes.length]?.url ?? '',
          })),
        );
        return { users, directIds, groupIds };
      },
      connect: (user) => connectReference(user, persisted),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function connectReference(
  user: BenchUserRef,
  acks: boolean,
  timeoutMs = 15_000,
): Promise<TargetSocket> {
  const socket = io(user.nodeUrl, {
    transports: ['websocket'],
    auth: { token: user.token },
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
  });
  const wrapped: TargetSocket = {
    send(roomId, _clientMsgId, text, onAck) {
      if (!acks) {
        socket.emit('send', { room: roomId, text });
        return;
      }
      socket.emit('send', { room: roomId, text }, (answer: { ok: boolean }) => {
        onAck?.(answer.ok, answer.ok ? undefined : 'FAILED');
      });
    },
    onMessage(handler) {
      socket.on('message', (m: ReferenceRelay) =>
        handler({ roomId: m.room, senderId: m.senderId, text: m.text }),
      );
    },
    close() {
      socket.close();
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(
        new Error(`reference socket for ${user.userId} got no session within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.once('session', () => {
      clearTimeout(timer);
      resolve(wrapped);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`reference socket for ${user.userId} refused: ${error.message}`));
    });
  });
}
