import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, startRedis, waitFor } from '@chat/testkit';
import type { Supervisor } from './processes.js';

/** Runs a TypeScript entry directly under node, so the pid is node itself (no tsx wrapper). */
export function tsEntryArgs(file: string): string[] {
  return ['--conditions=@chat/source', '--import', 'tsx', file];
}

export interface Endpoint {
  url: string;
  pid?: number;
}

export async function provideRedis(
  supervisor: Supervisor,
  env: NodeJS.ProcessEnv,
): Promise<Endpoint> {
  if (env.REDIS_URL) return { url: env.REDIS_URL };
  const redis = await startRedis();
  supervisor.adopt('redis', redis.process, () => redis.stop());
  return { url: redis.url, pid: redis.pid };
}

/** MONGO_URL, else the embedded server: durable in `dataDir`, in memory when it is undefined. */
export async function provideMongo(
  supervisor: Supervisor,
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  dataDir: string | undefined,
  log: (line: string) => void,
): Promise<Endpoint & { embedded: boolean }> {
  if (env.MONGO_URL) return { url: env.MONGO_URL, embedded: false };
  if (dataDir === undefined)
    log(
      'WARNING: --ephemeral: the embedded MongoDB keeps its data in memory. Data is NOT kept when the cluster stops.',
    );
  else log(`embedded MongoDB data is kept in ${dataDir} (npm start -- --ephemeral: in memory)`);
  const cli = join(repoRoot, 'packages', 'embedded-mongo', 'src', 'cli.ts');
  if (!existsSync(cli)) throw new Error(`embedded MongoDB CLI not found at ${cli}; set MONGO_URL`);
  const port = await getFreePort();
  let url: string | undefined;
  const child = await supervisor.start(
    'mongo',
    process.execPath,
    [
      ...tsEntryArgs(cli),
      '--port',
      String(port),
      ...(dataDir === undefined ? [] : ['--data-dir', dataDir]),
    ],
    {
      cwd: repoRoot,
      onLine: (line) => {
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
  await Promise.race([
    waitFor(() => url, { timeout: 30_000, message: 'the embedded MongoDB to announce its url' }),
    supervisor.firstExit().then((error) => Promise.reject(error)),
  ]);
  return { url: url ?? '', pid: child.pid, embedded: true };
}

export function workerEntry(repoRoot: string): string | undefined {
  const file = join(repoRoot, 'services', 'worker', 'src', 'main.ts');
  return existsSync(file) ? file : undefined;
}
