import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { getFreePort } from './ports.js';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The redis-server process (changes after restart()). */
  readonly pid: number;
  /** The current redis-server process (replaced by restart()). */
  readonly process: ManagedProcess;
  /** SIGTERM and wait; idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /**
   * Stops (if running) and starts again on the same port with EMPTY data, or with the data of
   * `from` (a Redis restored from an older backup).
   */
  restart(options?: { from?: RedisSnapshot }): Promise<void>;
  /** The data as it is now (an RDB file, as a backup would keep it); removed by stop(). */
  snapshot(): Promise<RedisSnapshot>;
}

/** A point-in-time copy of a test Redis's data. */
export interface RedisSnapshot {
  readonly file: string;
}

export interface StartRedisOptions {
  /** @default a free port */
  port?: number;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** @default '/usr/bin/redis-server' */
  binary?: string;
}

const START_TIMEOUT_MS = 10_000;

/**
 * Resolves true when the redis-server with this pid answers on the port. Checking the
 * pid (not just PING) keeps another server on a taken port from passing as ours.
 */
export function answersAs(port: number, pid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      const match = /process_id:(\d+)\r\n/.exec(answer);
      if (match) done(Number(match[1]) === pid);
      else if (answer.startsWith('-')) done(false);
    });
  });
}

/**
 * A test redis-server on loopback: no persistence at all (a restart comes back empty, nothing
 * is written outside `dir`), in the foreground, quiet.
 */
export function testServerArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    '--loglevel',
    'warning',
  ];
}

/** A redis-server process and the removal of its dir once it has exited. */
interface Launched {
  child: ManagedProcess;
  cleaned: Promise<void>;
}

async function launch(
  binary: string,
  port: number,
  extra: readonly string[],
  seed?: RedisSnapshot,
): Promise<Launched> {
  // Redis needs a working dir even without persistence; each process gets its own,
  // removed when that process exits (however it is stopped).
  const dir = await mkdtemp(join(tmpdir(), 'testkit-redis-'));
  // Redis loads dump.rdb from its dir at start, whatever its save settings.
  if (seed) await copyFile(seed.file, join(dir, 'dump.rdb'));
  const args = [...testServerArgs(port, dir), ...extra];
  const child = await spawnManaged(binary, args, { name: `redis-server:${port}` }).catch(
    async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    },
  );
  const cleaned = child.exited.then(() => rm(dir, { recursive: true, force: true }));
  await waitUntilReady(child, () => answersAs(port, child.pid), {
    timeout: START_TIMEOUT_MS,
    what: `redis answering on port ${port}`,
  });
  return { child, cleaned };
}

/** Starts a real redis-server on its own port and waits until it answers. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? '/usr/bin/redis-server';
  const extra = options.args ?? [];
  let port = options.port ?? (await getFreePort());
  let launched: Launched | undefined;
  // A free port can be taken between getFreePort and bind; retry with a new one.
  for (let attempt = 1; !launched; attempt += 1) {
    try {
      launched = await launch(binary, port, extra);
    } catch (error) {
      const busy = error instanceof Error && /address already in use/i.test(error.message);
      if (!busy || options.port !== undefined || attempt >= 3) {
        throw error;
      }
      port = await getFreePort();
    }
  }
  let current: Launched = launched;
  const snapshotDir = mkdtemp(join(tmpdir(), 'testkit-redis-snapshots-'));
  let snapshots = 0;

  const stop = async (): Promise<void> => {
    await current.child.stop();
    await current.cleaned;
  };
  const stopAll = async (): Promise<void> => {
    await stop();
    await rm(await snapshotDir, { recursive: true, force: true });
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.child.pid;
    },
    get process() {
      return current.child;
    },
    stop: stopAll,
    async kill() {
      current.child.kill('SIGKILL');
      await current.cleaned;
    },
    async restart(options = {}) {
      await stop();
      current = await launch(binary, port, extra, options.from);
    },
    async snapshot() {
      const dir = await snapshotDir;
      // stop() removed it if the server was stopped and started again since.
      await mkdir(dir, { recursive: true });
      const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        const [, live = ''] = (await client.config('GET', 'dir')) as string[];
        await client.save();
        const file = join(dir, `dump-${++snapshots}.rdb`);
        await copyFile(join(live, 'dump.rdb'), file);
        return { file };
      } finally {
        client.disconnect();
      }
    },
  };
}
