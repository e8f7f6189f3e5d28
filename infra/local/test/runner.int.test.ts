import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getFreePortBlock,
  isAlive,
  isPortOpen,
  repoRoot,
  TS_SOURCE_ARGS,
  waitFor,
  waitForHttp,
} from '@chat/testkit';
import type { ClusterFile } from '../src/cluster-file.js';

/** `node … infra/local/src/main.ts --nodes N --port P`: the runner as `npm start` runs it. */
const runnerArgs = (nodes: number, port: number): string[] => [
  ...TS_SOURCE_ARGS,
  'infra/local/src/main.ts',
  '--nodes',
  String(nodes),
  '--port',
  String(port),
];

describe('npm start runner (infra/local/src/main.ts)', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'runner-test-'));
  let runner: ChildProcess;
  let output = '';
  let cluster: ClusterFile;
  let exited: Promise<number | null>;

  /** Starts the runner; resolves true when cluster.json appears, false when it exits first. */
  async function launch(): Promise<boolean> {
    const port = await getFreePortBlock(3);
    output = '';
    runner = spawn(process.execPath, runnerArgs(2, port), {
      cwd: repoRoot,
      env: { ...process.env, RUN_DIR: runDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => runner.once('exit', (code) => resolve(code)));
    runner.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runner.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return Promise.race([
      waitFor(() => existsSync(join(runDir, 'cluster.json')), {
        timeout: 90_000,
        message: 'cluster.json',
      }),
      exited.then(() => false),
    ]).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- runner output ---\n${output}`);
    });
  }

  beforeAll(async () => {
    // Other test files may take one of the ports between our check and the runner's.
    let started = await launch();
    if (!started && output.includes('is already in use')) started = await launch();
    if (!started) throw new Error(`the runner exited early:\n${output}`);
    const file = join(runDir, 'cluster.json');
    cluster = JSON.parse(readFileSync(file, 'utf8')) as ClusterFile;
  });

  afterAll(async () => {
    if (runner.exitCode === null) {
      runner.kill('SIGKILL');
      await exited;
    }
    rmSync(runDir, { recursive: true, force: true });
  });

  it('writes cluster.json with live, real pids and serves /readyz through nginx', async () => {
    expect(cluster.nodes.map((node) => node.id)).toEqual(['node-1', 'node-2']);
    expect(cluster.nodes.map((node) => node.port)).toEqual([
      cluster.nginx.port + 1,
      cluster.nginx.port + 2,
    ]);
    const pids = [cluster.nginx.pid, ...cluster.nodes.map((node) => node.pid)];
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    for (const node of cluster.nodes) {
      const cmdline = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('services/gateway/src/main.ts');
    }
    expect(readFileSync(`/proc/${cluster.nginx.pid}/cmdline`, 'utf8')).toMatch(/^nginx: master/);
    expect(output).toContain(`ready: ${cluster.url}`);

    await waitForHttp(`${cluster.url}/readyz`, { timeout: 10_000 });
    const response = await fetch(`${cluster.url}/readyz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-node-id')).toMatch(/^node-[12]$/);
    for (const node of cluster.nodes) {
      const direct = await fetch(`http://127.0.0.1:${node.port}/healthz`);
      expect(direct.headers.get('x-node-id')).toBe(node.id);
    }
    expect(output).toMatch(/\[node-1\] /);
  });

  it('reports a crashed node and keeps serving through the others', async () => {
    const victim = cluster.nodes[1];
    if (!victim) throw new Error('no node-2');
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => output.includes(`node-2 (pid ${victim.pid}) exited unexpectedly`), {
      timeout: 10_000,
      message: 'the crash report',
    });
    for (let i = 1; i <= 5; i += 1) {
      const response = await fetch(`${cluster.url}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-node-id')).toBe('node-1');
    }
  });

  it('stops everything it started on SIGTERM', async () => {
    const pids = [
      cluster.nginx.pid,
      ...cluster.nodes.map((node) => node.pid),
      cluster.worker?.pid,
      cluster.redis.pid,
      cluster.mongo.pid,
    ].filter((pid): pid is number => pid !== undefined);
    runner.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      timeout: 5_000,
      message: `all of ${pids.join(', ')} to be gone`,
    });
    expect(existsSync(join(runDir, 'cluster.json'))).toBe(false);
    expect(await isPortOpen(cluster.nginx.port)).toBe(false);
  });
});

describe('npm start runner start failures', () => {
  it('exits 1 with a clear message when a port is taken, starting nothing', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const runner = spawn(process.execPath, runnerArgs(1, address.port), {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      runner.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => runner.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain(`port ${address.port} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
