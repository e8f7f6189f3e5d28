import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { getFreePort } from './ports.js';
import { answersAs, testServerArgs } from './redis.js';
import { waitFor } from './wait.js';

/** One redis-server of the cluster. */
export interface RedisClusterNode {
  readonly port: number;
  /** The current process (replaced by restartNode). */
  readonly pid: number;
  readonly running: boolean;
  /** The current process, while there is one. */
  readonly process: ManagedProcess | undefined;
}

export interface RedisCluster {
  /** `host:port,…` of every node, as REDIS_CLUSTER_NODES takes it. */
  readonly nodesEnv: string;
  readonly nodes: readonly RedisClusterNode[];
  /** A fresh ioredis Cluster client for assertions; the caller closes it. */
  client(): Cluster;
  /** Ports of the nodes serving slots now. */
  masterPorts(): Promise<number[]>;
  /**
   * SIGKILLs the master serving `slot` (default: slot 0's), waits until a replica took its
   * slots over and every running node reports `cluster_state:ok`. Returns its port.
   */
  killMaster(options?: { slot?: number }): Promise<number>;
  /** Starts a stopped node again on its port with its nodes.conf: it rejoins (as a replica). */
  restartNode(port: number): Promise<void>;
  /** Stops every node and removes their dirs; idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /**
   * How long a master may be silent before the others count it failed; a failover takes
   * about this plus an election. @default 2000
   */
  nodeTimeoutMs?: number;
  /** @default '/usr/bin/redis-server' */
  binary?: string;
  /** @default '/usr/bin/redis-cli' */
  cli?: string;
}

const START_TIMEOUT_MS = 30_000;

interface NodeState {
  port: number;
  busPort: number;
  dir: string;
  child?: ManagedProcess;
}

async function launchNode(binary: string, node: NodeState, nodeTimeoutMs: number): Promise<void> {
  const child = await spawnManaged(
    binary,
    [
      // nodes.conf (the node's identity) stays in its dir across restartNode.
      ...testServerArgs(node.port, node.dir),
      '--cluster-port',
      String(node.busPort),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      // Any replica may take over, however long it was cut off (tests kill nodes at will).
      '--cluster-replica-validity-factor',
      '0',
    ],
    { name: `redis-cluster:${node.port}` },
  );
  node.child = child;
  await waitUntilReady(child, () => answersAs(node.port, child.pid), {
    timeout: START_TIMEOUT_MS,
    what: `redis cluster node answering on ${node.port}`,
  });
}

/** `CLUSTER NODES` as { port, master, slots, failed } per line. */
function parseClusterNodes(text: string) {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [, address = '', flags = '', , , , , , ...slots] = line.split(' ');
      const port = Number(address.split('@')[0]?.split(':')[1]);
      return {
        port,
        master: flags.includes('master'),
        failed: flags.includes('fail'),
        self: flags.includes('myself'),
        slots: slots.filter((s) => !s.startsWith('[')),
      };
    });
}

async function ask<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

const inRange = (slot: number, spec: string): boolean => {
  const [from, to = from] = spec.split('-').map(Number);
  return from !== undefined && slot >= from && slot <= (to ?? from);
};

/**
 * A real Redis Cluster on loopback (default 3 masters + 3 replicas): `redis-server
 * --cluster-enabled yes` per node, joined by `redis-cli --cluster create`. Resolves once every
 * node reports `cluster_state:ok` and each master has its replica.
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisCluster> {
  const binary = options.binary ?? '/usr/bin/redis-server';
  const cli = options.cli ?? '/usr/bin/redis-cli';
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
  const nodes: NodeState[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.child?.stop()));
    await Promise.all(nodes.map((n) => rm(n.dir, { recursive: true, force: true })));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push({
        port: await getFreePort(),
        busPort: await getFreePort(),
        dir: await mkdtemp(join(tmpdir(), 'testkit-redis-cluster-')),
      });
    }
    await Promise.all(nodes.map((n) => launchNode(binary, n, nodeTimeoutMs)));
    const create = await spawnManaged(
      cli,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { name: 'redis-cli --cluster create' },
    );
    const exit = await create.exited;
    if (exit.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.output()}`);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const running = () => nodes.filter((n) => n.child && !n.child.exitInfo);

  /** Every running node: state ok, knows every node, `masters` masters with slots, all replicas attached. */
  async function healthy(expectMasters = masters): Promise<boolean> {
    for (const node of running()) {
      const [info, list] = await ask(node.port, (r) =>
        Promise.all([r.cluster('INFO') as Promise<string>, r.cluster('NODES') as Promise<string>]),
      );
      if (!info.includes('cluster_state:ok')) return false;
      const parsed = parseClusterNodes(list);
      const live = parsed.filter((p) => !p.failed);
      if (live.filter((p) => p.master && p.slots.length > 0).length !== expectMasters) return false;
    }
    return true;
  }
  try {
    await waitFor(() => healthy(), {
      timeout: START_TIMEOUT_MS,
      interval: 100,
      message: 'redis cluster state ok',
    });
  } catch (error) {
    await stopAll();
    throw error;
  }

  async function masterOf(slot: number): Promise<number> {
    const [node] = running();
    if (!node) throw new Error('no cluster node is running');
    const list = await ask(node.port, (r) => r.cluster('NODES') as Promise<string>);
    const owner = parseClusterNodes(list).find(
      (p) => p.master && !p.failed && p.slots.some((s) => inRange(slot, s)),
    );
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner.port;
  }

  let stopping: Promise<void> | undefined;
  return {
    nodesEnv: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    nodes: nodes.map((n) => ({
      port: n.port,
      get pid() {
        return n.child?.pid ?? 0;
      },
      get running() {
        return n.child !== undefined && n.child.exitInfo === undefined;
      },
      get process() {
        return n.child;
      },
    })),
    client: () =>
      new Cluster(
        nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        { redisOptions: { maxRetriesPerRequest: 3 } },
      ),
    async masterPorts() {
      const [node] = running();
      if (!node) return [];
      const list = await ask(node.port, (r) => r.cluster('NODES') as Promise<string>);
      return parseClusterNodes(list)
        .filter((p) => p.master && !p.failed && p.slots.length > 0)
        .map((p) => p.port);
    },
    async killMaster({ slot = 0 } = {}) {
      const port = await masterOf(slot);
      const node = nodes.find((n) => n.port === port);
      node?.child?.kill('SIGKILL');
      await node?.child?.exited;
      await waitFor(async () => (await masterOf(slot)) !== port && (await healthy()), {
        timeout: START_TIMEOUT_MS,
        interval: 100,
        message: `failover of the master on ${port}`,
      });
      return port;
    },
    async restartNode(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no cluster node on ${port}`);
      if (node.child && !node.child.exitInfo) return;
      await launchNode(binary, node, nodeTimeoutMs);
      // It rejoins from nodes.conf; done once every node (it included) sees it healthy again.
      await waitFor(
        async () => {
          if (!(await healthy())) return false;
          const list = await ask(port, (r) => r.cluster('NODES') as Promise<string>);
          return parseClusterNodes(list).every((p) => !p.failed);
        },
        { timeout: START_TIMEOUT_MS, interval: 100, message: `node ${port} rejoined the cluster` },
      );
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
