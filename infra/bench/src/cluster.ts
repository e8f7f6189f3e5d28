import { randomBytes } from 'node:crypto';
import {
  getFreePort,
  spawnManaged,
  startRedis,
  startRedisCluster,
  type RedisCluster,
  waitUntilReady,
  type ManagedProcess,
  type RedisServer,
} from '@chat/testkit';
import { serverEntryArgs, serverEnv, type ServerBuild } from './server-build.js';
import type { WatchedProcess } from './stats.js';

export interface GatewayNode {
  id: string;
  url: string;
  pid: number;
}

export interface BenchCluster {
  /** One Redis, or the first node of the Redis Cluster. */
  redis: { url: string; pid: number };
  /** Every redis-server process (one, or the cluster's nodes). */
  redisNodes: Array<{ port: number; pid: number }>;
  mongo: { url: string; pid: number };
  gateways: GatewayNode[];
  /** The worker: it hands every sent message off (offline delivery) and sweeps presence. */
  worker: { pid: number };
  /** The HS256 secret the gateways sign and verify access tokens with (the bench mints tokens too). */
  jwtSecret: string;
  /** Every server process whose CPU the bench reports. */
  processes(): WatchedProcess[];
  /** Stops everything that was started; idempotent. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  nodes: number;
  repoRoot: string;
  log: (line: string) => void;
  /** @default 'warn' */
  gatewayLogLevel?: string;
  /** Extra environment for the gateways (A/B runs of a setting: `--gateway-env K=V,...`). */
  gatewayEnv?: Record<string, string>;
  /** Extra node flags for the gateways and the embedded Mongo (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** @default 'dist' */
  build?: ServerBuild;
  /** A local Redis Cluster (3 masters + 3 replicas) instead of one Redis. */
  redisCluster?: boolean;
}

/**
 * The bench measures capacity, not abuse protection: the per-socket, per-user, per-IP limits
 * (docs/PROTOCOL.md#section-4) stay in the code path but are raised far above what the load generator,
 * one IP for thousands of clients, offers.
 */
const BENCH_LIMITS: Record<string, string> = {
  RATE_SOCKET_BURST: '1000000',
  RATE_SOCKET_PER_SEC: '1000000',
  RATE_SOCKET_FLOOD_DISCONNECT: '1000000',
  RATE_CONNECT_PER_IP_PER_MIN: '10000000',
  RATE_MESSAGES_PER_WINDOW: '10000000',
  RATE_REGISTER_PER_HOUR: '10000000',
  RATE_HTTP_PER_IP: '100000000',
  RATE_HTTP_PER_USER: '100000000',
  RATE_LOGIN_PER_IP: '10000000',
  MAX_SOCKETS_PER_USER: '100000',
  GROUP_MAX_MEMBERS: '10000',
};

const START_TIMEOUT_MS = 60_000;

/** Forwards a child's stderr so a crashing gateway is visible while the bench runs. */
function forwardErrors(name: string, log: (line: string) => void) {
  return (line: string, stream: 'stdout' | 'stderr'): void => {
    if (stream === 'stderr' || /"level":(40|50|60)/.test(line)) log(`[${name}] ${line}`);
  };
}

/** The embedded Mongo as its own process (its CPU is measured apart). */
export async function startMongoProcess(
  repoRoot: string,
  log: (line: string) => void,
  nodeArgs: readonly string[],
  build: ServerBuild,
): Promise<{ child: ManagedProcess; url: string }> {
  const port = await getFreePort();
  let url: string | undefined;
  const child = await spawnManaged(
    process.execPath,
    [
      ...serverEntryArgs(repoRoot, 'packages/embedded-mongo', 'cli', build, nodeArgs),
      '--port',
      String(port),
    ],
    {
      name: 'mongo',
      cwd: repoRoot,
      env: serverEnv(build),
      onLine: (line, stream) => {
        if (stream === 'stderr') log(`[mongo] ${line}`);
        if (url || !line.startsWith('{')) return;
        try {
          const parsed = JSON.parse(line) as { url?: unknown };
          if (typeof parsed.url === 'string') url = parsed.url;
        } catch {
          // Not the announcement line.
        }
      },
    },
  );
  await waitUntilReady(child, () => url !== undefined, {
    timeout: START_TIMEOUT_MS,
    what: 'embedded mongo announcing its url',
  });
  return { child, url: url ?? '' };
}

async function readyz(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts Redis, the embedded Mongo (its own process, so its CPU is measured apart) and
 * `nodes` gateways on loopback, and resolves when every gateway answers /readyz.
 * On any failure everything already started is stopped before the error is thrown.
 */
export async function startCluster(options: StartClusterOptions): Promise<BenchCluster> {
  const { repoRoot, log } = options;
  const started: ManagedProcess[] = [];
  let redis: RedisServer | undefined;
  let redisCluster: RedisCluster | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Gateways first so they do not spend the shutdown logging lost Redis/Mongo connections.
    const gateways = started.filter((p) => p.name.startsWith('gateway'));
    await Promise.all(gateways.map((p) => p.stop(5_000)));
    await Promise.all(started.filter((p) => !gateways.includes(p)).map((p) => p.stop(5_000)));
    await redis?.stop();
    await redisCluster?.stop();
  };

  try {
    let redisEnv: Record<string, string>;
    let redisNodes: Array<{ port: number; pid: number }>;
    if (options.redisCluster) {
      redisCluster = await startRedisCluster();
      redisEnv = { REDIS_CLUSTER_NODES: redisCluster.nodesEnv };
      redisNodes = redisCluster.nodes.map((n) => ({ port: n.port, pid: n.pid }));
    } else {
      redis = await startRedis();
      redisEnv = { REDIS_URL: redis.url };
      redisNodes = [{ port: redis.port, pid: redis.pid }];
    }
    const firstRedis = redisNodes[0] ?? { port: 0, pid: 0 };
    const build = options.build ?? 'dist';
    const mongo = await startMongoProcess(repoRoot, log, options.nodeArgs ?? [], build);
    started.push(mongo.child);
    const jwtSecret = randomBytes(32).toString('hex');
    const gateways: GatewayNode[] = [];
    const children = await Promise.all(
      Array.from({ length: options.nodes }, async (_, i) => {
        const id = `bench-node-${i + 1}`;
        const port = await getFreePort();
        const child = await spawnManaged(
          process.execPath,
          serverEntryArgs(repoRoot, 'services/gateway', 'main', build, options.nodeArgs),
          {
            name: `gateway-${i + 1}`,
            cwd: repoRoot,
            env: {
              ...serverEnv(build),
              ...BENCH_LIMITS,
              PORT: String(port),
              HOST: '127.0.0.1',
              NODE_ID: id,
              MONGO_URL: mongo.url,
              MONGO_DB: 'bench',
              ...redisEnv,
              JWT_SECRET: jwtSecret,
              LOG_LEVEL: options.gatewayLogLevel ?? 'warn',
              NODE_ENV: 'development',
              ...options.gatewayEnv,
            },
            onLine: forwardErrors(`gateway-${i + 1}`, log),
          },
        );
        started.push(child);
        gateways[i] = { id, url: `http://127.0.0.1:${port}`, pid: child.pid };
        return child;
      }),
    );
    await Promise.all(
      children.map((child, i) =>
        waitUntilReady(child, () => readyz(gateways[i]?.url ?? ''), {
          timeout: START_TIMEOUT_MS,
          what: `${child.name} answering /readyz`,
        }),
      ),
    );
    let workerReady = false;
    const worker = await spawnManaged(
      process.execPath,
      serverEntryArgs(repoRoot, 'services/worker', 'main', build, options.nodeArgs),
      {
        name: 'worker',
        cwd: repoRoot,
        env: {
          ...serverEnv(build),
          MONGO_URL: mongo.url,
          MONGO_DB: 'bench',
          ...redisEnv,
          // The worker publishes presence with the gateways' adapter kind.
          ...(options.gatewayEnv?.REDIS_ADAPTER
            ? { REDIS_ADAPTER: options.gatewayEnv.REDIS_ADAPTER }
            : {}),
          LOG_LEVEL: 'info',
          NODE_ENV: 'development',
        },
        onLine: (line, stream) => {
          if (line.includes('worker ready')) workerReady = true;
          else forwardErrors('worker', log)(line, stream);
        },
      },
    );
    started.push(worker);
    await waitUntilReady(worker, () => workerReady, {
      timeout: START_TIMEOUT_MS,
      what: 'worker ready',
    });
    return {
      redis: { url: `redis://127.0.0.1:${firstRedis.port}`, pid: firstRedis.pid },
      redisNodes,
      mongo: { url: mongo.url, pid: mongo.child.pid },
      gateways,
      worker: { pid: worker.pid },
      jwtSecret,
      processes: () => [
        ...gateways.map((g, i) => ({ name: `gateway-${i + 1}`, pid: g.pid })),
        { name: 'worker', pid: worker.pid },
        { name: 'mongo', pid: mongo.child.pid },
        ...redisNodes.map((n, i) => ({ name: i === 0 ? 'redis' : `redis-${i + 1}`, pid: n.pid })),
        { name: 'bench', pid: process.pid },
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
