import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * How the bench runs the servers it measures.
 * - `dist` (the default) is what production runs (infra/docker/Dockerfile:
 *   `node --enable-source-maps dist/main.js`), compiled by `tsc -b` before the run.
 * - `source` runs the TypeScript through tsx: no build step, but tsx's loader and esbuild's
 *   `__name` helpers cost CPU on every request, so it measures a little worse than what ships.
 */
export type ServerBuild = 'dist' | 'source';

/** The projects whose compiled output the bench starts: gateway, worker, embedded Mongo, references. */
const PROJECTS = ['services/gateway', 'services/worker', 'packages/embedded-mongo', 'infra/bench'];

/**
 * Node arguments that start `<packageDir>/{dist,src}/<entry>` as its own process (so the pid
 * whose CPU the bench reads is the server itself).
 */
export function serverEntryArgs(
  repoRoot: string,
  packageDir: string,
  entry: string,
  build: ServerBuild,
  nodeArgs: readonly string[] = [],
): string[] {
  return build === 'dist'
    ? [...nodeArgs, '--enable-source-maps', join(repoRoot, packageDir, 'dist', `${entry}.js`)]
    : [
        ...nodeArgs,
        '--conditions=@chat/source',
        '--import',
        'tsx',
        join(repoRoot, packageDir, 'src', `${entry}.ts`),
      ];
}

/**
 * The environment a server starts with. `npm run bench` (infra/local/bootstrap.mjs) puts
 * `--conditions=@chat/source` in NODE_OPTIONS so every tool resolves workspace packages to their
 * TypeScript; compiled servers must resolve them to `dist` like production, so it is dropped.
 */
export function serverEnv(
  build: ServerBuild,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  if (build === 'source' || base.NODE_OPTIONS === undefined) return base;
  const options = base.NODE_OPTIONS.split(/\s+/)
    .filter((o) => o !== '' && o !== '--conditions=@chat/source')
    .join(' ');
  return { ...base, NODE_OPTIONS: options };
}

/** `tsc -b` of the servers (incremental: seconds when nothing changed). Rejects with tsc's output. */
export async function buildServers(repoRoot: string, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-b', ...PROJECTS], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`tsc -b ${PROJECTS.join(' ')} failed:\n${output.join('')}`);
  log(`servers compiled (tsc -b) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
