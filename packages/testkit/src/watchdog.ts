import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Children must die with the test run even when the run crashes (SIGKILL, OOM) and
 * no exit handler runs. One small watchdog process per parent reads "+pid"/"-pid"
 * lines on a pipe from the parent; when the pipe closes — which the kernel does
 * however the parent dies — it SIGKILLs the process group of every pid still
 * registered. The children themselves are started directly (not through the
 * watchdog), so their pid is the real process.
 */
const WATCHDOG_SOURCE = `
const pids = new Set();
let buffer = '';
const reap = () => {
  for (const pid of pids) {
    try { process.kill(-pid, 'SIGKILL'); } catch {}
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let index;
  while ((index = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, index);
    buffer = buffer.slice(index + 1);
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line[0] === '+') pids.add(pid);
    else if (line[0] === '-') pids.delete(pid);
  }
});
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
// Ctrl-C reaches the whole foreground group; stay alive so the parent can stop its
// children gracefully, and still reap if it dies instead.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', reap);
`;

let watchdog: ChildProcess | undefined;

function getWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
    // Own process group: a kill of the test runner's group must not take the
    // watchdog down before it has reaped.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH ?? '' },
  });
  child.on('error', () => {
    // Without a watchdog only the exit handler protects against orphans; not fatal.
    watchdog = undefined;
  });
  child.stdin?.on('error', () => undefined);
  // The watchdog must never keep the parent's event loop alive.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  watchdog = child;
  return child;
}

export function watchPid(pid: number): void {
  getWatchdog()?.stdin?.write(`+${pid}\n`);
}

export function unwatchPid(pid: number): void {
  if (watchdog?.stdin?.writable) watchdog.stdin.write(`-${pid}\n`);
}
