import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnTsEntry, type ManagedProcess } from './managed-process.js';

/*
 * The repository's own programs as tests start them: every package's tests that need the real
 * worker, a gateway process or the runner spawn them from source the same way.
 */

/** The repository root (this file is packages/testkit/src/…, or dist/… once built). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Gateway limits out of the way: suites register many users from 127.0.0.1 and flood on
 * purpose, so only a suite about limits sets tight ones (gateway tests and the fault cluster).
 */
export const GENEROUS_LIMITS: Readonly<Record<string, string>> = {
  RATE_SOCKET_BURST: '100000',
  RATE_SOCKET_PER_SEC: '100000',
  RATE_MESSAGES_PER_WINDOW: '1000000',
  RATE_LOGIN_PER_IP_USERNAME: '1000000',
  RATE_LOGIN_PER_IP: '1000000',
  RATE_REGISTER_PER_HOUR: '1000000',
  RATE_HTTP_PER_IP: '10000000',
  RATE_HTTP_PER_USER: '10000000',
  RATE_CONNECT_PER_IP_PER_MIN: '1000000',
  MAX_SOCKETS_PER_USER: '1000',
  SOCKET_BACKLOG_MAX_BYTES: String(256 * 1024 * 1024),
};

/** The real worker process (services/worker/src/main.ts), once it logged "worker ready". */
export function startWorker(env: Record<string, string>): Promise<ManagedProcess> {
  return spawnTsEntry('services/worker/src/main.ts', {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    name: 'worker',
    readyWhen: (output) => output.includes('"msg":"worker ready"'),
  });
}

/** Whether `pid` is a live process; a zombie still answers signal 0 but is dead for tests. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
