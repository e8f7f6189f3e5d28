import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlive, spawnManaged, waitFor, waitForEvent } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('spawnManaged', () => {
  it('captures output and reports the exit code', async () => {
    const child = await spawnManaged('sh', ['-c', 'echo one; echo two >&2; exit 3']);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(child.output()).toContain('one');
    expect(child.output()).toContain('two');
    expect(child.kill()).toBe(false);
  });

  it('keeps only the last lines', async () => {
    const child = await spawnManaged('sh', ['-c', 'for i in $(seq 1 50); do echo line$i; done'], {
      keepLines: 5,
    });
    await child.exited;
    expect(child.output().split('\n')).toEqual(['line46', 'line47', 'line48', 'line49', 'line50']);
  });

  it('returns the pid of the real process', async () => {
    const child = await spawnManaged('sleep', ['30']);
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sleep');
    process.kill(child.pid, 'SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const child = await spawnManaged('sh', [
      '-c',
      "trap '' TERM; echo ready; while :; do sleep 0.1; done",
    ]);
    await waitFor(() => child.output().includes('ready'), { timeout: 5_000 });
    const started = Date.now();
    const info = await child.stop(300);
    expect(info.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(isAlive(child.pid)).toBe(false);
  });

  it('rejects with a clear error for a missing command', async () => {
    await expect(spawnManaged('/nonexistent/binary', [])).rejects.toThrow(/could not start/);
  });

  it('children die when their parent is SIGKILLed', async () => {
    const parent = spawn(
      process.execPath,
      ['--conditions=@chat/source', '--import', 'tsx', join(here, 'fixtures', 'managed-parent.ts')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      parent.stdout.setEncoding('utf8');
      const line = await waitForEvent<string>(parent.stdout, 'data', { timeout: 20_000 });
      const { childPid } = JSON.parse(line) as { childPid: number };
      expect(isAlive(childPid)).toBe(true);
      parent.kill('SIGKILL');
      await waitFor(() => !isAlive(childPid), { timeout: 5_000, message: 'grandchild to die' });
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
