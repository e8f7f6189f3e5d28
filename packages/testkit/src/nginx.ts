import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { getFreePort, isPortOpen } from './ports.js';
import { waitFor } from './wait.js';

export type NginxConfigSource = string | ((ports: { listen: number }) => string);

export interface StartNginxOptions {
  /** The port the config listens on. @default a free port (or the first `listen` of a string config) */
  port?: number;
  /** @default '/usr/sbin/nginx' */
  binary?: string;
  /** @default 10_000 */
  startTimeout?: number;
}

export interface NginxServer {
  readonly port: number;
  /** The nginx master process. */
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The temp prefix holding nginx.conf, logs/ and temp/. */
  readonly prefix: string;
  /** Writes the new config (if given), checks it with `nginx -t`, and reloads (SIGHUP). */
  reload(config?: NginxConfigSource): Promise<void>;
  stop(): Promise<void>;
  readonly process: ManagedProcess;
}

function globalDirectives(prefix: string): string {
  // As root, workers would run as nobody and could not write the temp prefix.
  const user = process.getuid?.() === 0 ? 'user root; ' : '';
  return `${user}daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${join(prefix, 'logs', 'error.log')} notice;`;
}

/** The master's child processes (its workers), from /proc. */
async function workerPids(masterPid: number): Promise<number[]> {
  const text = await readFile(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

function render(config: NginxConfigSource, port: number): string {
  return typeof config === 'string' ? config : config({ listen: port });
}

async function runCheck(binary: string, prefix: string, file: string): Promise<void> {
  const check = await spawnManaged(
    binary,
    [
      '-t',
      '-q',
      '-p',
      prefix,
      '-e',
      join(prefix, 'logs', 'error.log'),
      '-c',
      file,
      '-g',
      globalDirectives(prefix),
    ],
    { name: 'nginx -t' },
  );
  const { code } = await check.exited;
  if (code !== 0) throw new Error(`nginx config is invalid:\n${check.output()}`);
}

/**
 * Starts the real nginx binary with a config in its own temp prefix, in the
 * foreground, and waits until the port accepts connections.
 */
export async function startNginx(
  config: NginxConfigSource,
  options: StartNginxOptions = {},
): Promise<NginxServer> {
  const binary = options.binary ?? '/usr/sbin/nginx';
  const fromString =
    typeof config === 'string' ? /\blisten\s+(?:[\d.]+:)?(\d+)/.exec(config) : null;
  const port = options.port ?? (fromString ? Number(fromString[1]) : await getFreePort());
  const prefix = await mkdtemp(join(tmpdir(), 'testkit-nginx-'));
  await mkdir(join(prefix, 'logs'));
  await mkdir(join(prefix, 'temp'));
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, render(config, port));
  const errorLog = join(prefix, 'logs', 'error.log');

  const child = await spawnManaged(
    binary,
    ['-p', prefix, '-e', errorLog, '-c', file, '-g', globalDirectives(prefix)],
    { name: `nginx:${port}` },
  );
  const removed = child.exited.then(() => rm(prefix, { recursive: true, force: true }));
  try {
    await waitUntilReady(child, () => isPortOpen(port), {
      timeout: options.startTimeout ?? 10_000,
      what: `nginx accepting on port ${port}`,
    });
  } catch (error) {
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    await removed;
    throw new Error(`${(error as Error).message}\n--- error.log ---\n${log}`, { cause: error });
  }

  return {
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    prefix,
    process: child,
    async reload(next?: NginxConfigSource) {
      if (next !== undefined) await writeFile(file, render(next, port));
      await runCheck(binary, prefix, file);
      const oldWorkers = await workerPids(child.pid);
      process.kill(child.pid, 'SIGHUP');
      // Old workers keep accepting on the shared socket until they have processed
      // their shutdown, so a connection made right after the HUP can still see the old
      // config. Done = new workers exist and every old one has exited (bounded by
      // worker_shutdown_timeout in configs that set it).
      await waitFor(
        async () => {
          const now = await workerPids(child.pid);
          return now.length > 0 && !now.some((pid) => oldWorkers.includes(pid));
        },
        { timeout: 15_000, message: 'nginx to reload (new workers up, old workers gone)' },
      );
    },
    async stop() {
      // SIGQUIT would wait for open websockets; SIGTERM is nginx's fast shutdown.
      await child.stop(5_000);
      await removed;
    },
  };
}
