import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { waitFor } from './wait.js';
import { unwatchPid, watchPid } from './watchdog.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnManagedOptions {
  /** Used in error messages. @default the command's base name */
  name?: string;
  cwd?: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Called for every output line, e.g. to prefix and forward logs. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Lines kept for output(). @default 200 */
  keepLines?: number;
}

export interface ManagedProcess {
  readonly name: string;
  /** The real process (also the id of its own process group). */
  readonly pid: number;
  /** Resolves when the process has exited; never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Set once the process has exited. */
  readonly exitInfo: ExitInfo | undefined;
  /** Signals the process group; false when the process is already gone. @default 'SIGTERM' */
  kill(signal?: NodeJS.Signals): boolean;
  /** SIGTERM, then SIGKILL after timeoutMs. @default 5_000 */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** The last captured stdout/stderr lines. */
  output(): string;
}

/** Node arguments that run a TypeScript entry from source (the `@chat/source` condition, tsx). */
export const TS_SOURCE_ARGS: readonly string[] = ['--conditions=@chat/source', '--import', 'tsx'];

const live = new Set<number>();
let exitHandlerInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals, fallbackToPid = true): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // After the leader was reaped its pid may belong to someone else: no fallback then.
    if (!fallbackToPid) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // A normal exit (also process.exit from a test runner) kills what is left; only
  // synchronous work is possible here, hence SIGKILL.
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
}

/**
 * Starts a process that cannot outlive its parent: it runs in its own process
 * group, is registered with the watchdog (crash of the parent) and with an exit
 * handler (normal exit). Output is captured for error messages.
 */
export async function spawnManaged(
  command: string,
  args: readonly string[],
  options: SpawnManagedOptions = {},
): Promise<ManagedProcess> {
  installExitHandler();
  const name = options.name ?? command.split('/').pop() ?? command;
  const keepLines = options.keepLines ?? 200;
  const lines: string[] = [];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // Own group so that SIGKILL also reaches grandchildren (nginx workers).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new Error(`could not start ${name} (${command}): ${error.message}`, { cause: error })),
    );
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}: no pid`);
  live.add(pid);
  watchPid(pid);

  const capture = (stream: Readable, kind: 'stdout' | 'stderr'): void => {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (line) => {
      lines.push(line);
      if (lines.length > keepLines) lines.shift();
      options.onLine?.(line, kind);
    });
  };
  capture(child.stdout, 'stdout');
  capture(child.stderr, 'stderr');

  let exitInfo: ExitInfo | undefined;
  // 'close' (not 'exit') so that the last output lines are captured before it resolves.
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('close', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(pid);
      // The leader is gone; anything left in its group is an orphan.
      killGroup(pid, 'SIGKILL', false);
      unwatchPid(pid);
      resolve(exitInfo);
    });
  });

  const managed: ManagedProcess = {
    name,
    pid,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitInfo) return false;
      return killGroup(pid, signal);
    },
    async stop(timeoutMs = 5_000) {
      if (exitInfo) return exitInfo;
      managed.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') managed.kill('SIGKILL');
      return exited;
    },
    output() {
      return lines.join('\n');
    },
  };
  return managed;
}

/** An error for a process that failed to start, with its last output lines. */
export function startError(process: ManagedProcess, reason: string): Error {
  const output = process.output().split('\n').slice(-40).join('\n');
  return new Error(
    `${process.name} (pid ${process.pid}) ${reason}\n--- last output ---\n${output}`,
  );
}

/**
 * Polls `check` until it is truthy, but fails at once (with the process's last output)
 * when the process exits first, and stops it when it does not become ready in time.
 */
export async function waitUntilReady(
  child: ManagedProcess,
  check: () => boolean | Promise<boolean>,
  options: { timeout: number; what: string },
): Promise<void> {
  let settled = false;
  const exitedEarly = child.exited.then((info) => {
    if (settled) return;
    throw startError(
      child,
      `exited (code ${info.code}, signal ${info.signal}) before ${options.what}`,
    );
  });
  const ready = waitFor(() => (child.exitInfo ? true : check()), {
    timeout: options.timeout,
    interval: 20,
    message: options.what,
  });
  try {
    await Promise.race([ready, exitedEarly]);
    if (child.exitInfo) await exitedEarly;
  } catch (error) {
    settled = true;
    await child.stop(1_000);
    if (error instanceof Error && error.message.startsWith(child.name)) throw error;
    throw startError(child, `did not become ready: ${options.what} within ${options.timeout} ms`);
  } finally {
    settled = true;
  }
}

export interface SpawnTsEntryOptions extends SpawnManagedOptions {
  /** Ready once this returns true for the output so far (e.g. a log line). */
  readyWhen: (output: string) => boolean;
  /** @default 30_000 */
  timeout?: number;
}

/**
 * Starts a TypeScript entry the way the runner does (`node --conditions=@chat/source
 * --import tsx <file>`, so the pid is node itself) and waits for its ready signal; a child
 * that exits or stays silent is stopped and reported with its last output.
 */
export async function spawnTsEntry(
  file: string,
  options: SpawnTsEntryOptions,
): Promise<ManagedProcess> {
  const { readyWhen, timeout = 30_000, ...spawnOptions } = options;
  const child = await spawnManaged(process.execPath, [...TS_SOURCE_ARGS, file], spawnOptions);
  await waitUntilReady(child, () => readyWhen(child.output()), { timeout, what: `${file} ready` });
  return child;
}
