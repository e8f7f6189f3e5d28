import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePortBlock, waitFor } from '@chat/testkit';

export interface ClusterInfo {
  url: string;
  nodes: { id: string; port: number; pid: number }[];
}

export interface LocalCluster {
  info: ClusterInfo;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The `npm start` runner (infra/local) as a child process: nginx + N gateway processes +
 * worker + redis + embedded Mongo, exactly what a developer runs. cluster.json gives the
 * real pids, so a test can SIGKILL one gateway.
 */
export async function startLocalCluster(
  repoRoot: string,
  nodes: number,
  env: Record<string, string> = {},
): Promise<LocalCluster> {
  const runDir = mkdtempSync(join(tmpdir(), 'web-e2e-'));
  const port = await getFreePortBlock(nodes);
  let output = '';
  const runner: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=@chat/source',
      '--import',
      'tsx',
      'infra/local/src/main.ts',
      '--nodes',
      String(nodes),
      '--port',
      String(port),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        RUN_DIR: runDir,
        // Uploaded files go with the run folder, so nothing is left in the checkout.
        UPLOAD_DIR: join(runDir, 'uploads'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => runner.once('exit', () => resolve()));
  runner.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  runner.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const file = join(runDir, 'cluster.json');
  let started = false;
  try {
    await Promise.race([
      waitFor(() => existsSync(file), { timeout: 120_000, message: 'cluster.json' }),
      // A runner that gave up (a node failed to start) is reported at once, with its output.
      exited.then(() => {
        if (!started) throw new Error(`runner exited with ${runner.exitCode}`);
      }),
    ]);
    started = true;
  } catch (error) {
    runner.kill('SIGKILL');
    throw new Error(`${String(error)}\n--- runner output ---\n${output}`);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
  return {
    info,
    output: () => output,
    async stop() {
      if (runner.exitCode === null) {
        runner.kill('SIGTERM');
        const timer = setTimeout(() => runner.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
