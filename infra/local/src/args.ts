import { resolve } from 'node:path';

export interface RunnerOptions {
  nodes: number;
  port: number;
  /** Where cluster.json goes. */
  runDir: string;
  mongoDb: string;
  /**
   * Where the embedded MongoDB keeps its data; undefined with `--ephemeral` (in memory).
   * Unused when MONGO_URL points at a real MongoDB.
   * @default `${runDir}/data`
   */
  dataDir: string | undefined;
  /** `--redis-cluster`: start a local Redis Cluster (3 masters + 3 replicas) instead of one Redis. */
  redisCluster: boolean;
  /** `--tls`: nginx serves HTTPS/WSS with a generated self-signed certificate. */
  tls: boolean;
}

const USAGE =
  'usage: npm start -- [--nodes N] [--port P] [--data-dir DIR | --ephemeral] [--redis-cluster] [--tls]';

function positiveInt(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name} must be an integer between 1 and ${max} (got "${raw}")`);
  }
  return value;
}

/**
 * Parses `--nodes N --port P --data-dir DIR --ephemeral` (also `--nodes=N`) over the
 * NODES/PORT/RUN_DIR/MONGO_DB/DATA_DIR env.
 */
export function parseRunnerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
): RunnerOptions {
  let nodes = env.NODES ?? '3';
  let port = env.PORT ?? '8080';
  let dataDir = env.DATA_DIR;
  let ephemeral = false;
  let redisCluster = false;
  let tls = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      i += 1;
      return next;
    };
    if (flag === '--nodes') nodes = take();
    else if (flag === '--port') port = take();
    else if (flag === '--data-dir') dataDir = take();
    else if (arg === '--ephemeral') ephemeral = true;
    else if (arg === '--redis-cluster') redisCluster = true;
    else if (arg === '--tls') tls = true;
    else if (arg === '--') continue;
    else throw new Error(`unknown argument "${arg}" (${USAGE})`);
  }
  const nodeCount = positiveInt('--nodes / NODES', nodes, 64);
  const portNumber = positiveInt('--port / PORT', port, 65535 - nodeCount);
  if (ephemeral && dataDir !== undefined)
    throw new Error(`--ephemeral and --data-dir / DATA_DIR exclude each other (${USAGE})`);
  const runDir = env.RUN_DIR ?? `${repoRoot}/.run`;
  return {
    nodes: nodeCount,
    port: portNumber,
    runDir,
    mongoDb: env.MONGO_DB ?? 'chat',
    dataDir: ephemeral ? undefined : resolve(repoRoot, dataDir ?? `${runDir}/data`),
    redisCluster,
    tls,
  };
}
