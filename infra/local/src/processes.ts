import { spawnManaged, startError, type ManagedProcess } from '@chat/testkit';
import type { LineFormatter } from './log-format.js';

export interface Supervised {
  name: string;
  process: ManagedProcess;
  /** How to stop it when the plain process stop is not enough (temp dirs to remove). */
  stop?: () => Promise<unknown>;
}

/**
 * Starts the cluster's processes with prefixed logs, reports any that dies while the
 * cluster runs (a crashed node is news, not noise), and stops them all on shutdown.
 */
export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  /** `format`: how a child's line is shown (pretty on a terminal, see log-format.ts). */
  constructor(
    private readonly log: (line: string) => void,
    private readonly format: LineFormatter = (line) => line,
  ) {}

  async start(
    name: string,
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {},
  ): Promise<ManagedProcess> {
    const child = await spawnManaged(command, args, {
      name,
      env: options.env,
      cwd: options.cwd,
      onLine: (line, stream) => {
        options.onLine?.(line);
        (stream === 'stderr' ? process.stderr : process.stdout).write(
          `[${name}] ${this.format(line)}\n`,
        );
      },
    });
    this.adopt(name, child);
    return child;
  }

  /** Tracks a process started elsewhere (redis, nginx via testkit). */
  adopt(name: string, child: ManagedProcess, stop?: () => Promise<unknown>): void {
    this.children.push({ name, process: child, stop });
    void child.exited.then((info) => {
      if (this.stopping) return;
      const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
      this.log(`${name} (pid ${child.pid}) exited unexpectedly with ${how}`);
      const tail = child.output().split('\n').slice(-20).join('\n');
      if (tail) this.log(`last output of ${name}:\n${tail}`);
    });
  }

  /** The first supervised process that exits, as an error with its last output. */
  firstExit(): Promise<Error> {
    return Promise.race(
      this.children.map(({ process: child }) =>
        child.exited.then((info) =>
          startError(child, `exited (code ${info.code}, signal ${info.signal})`),
        ),
      ),
    );
  }

  /**
   * Stops in reverse start order groups: `first` (gateways, worker) together, then the
   * rest one by one, so nodes can still reach Redis/Mongo while they drain.
   */
  async stopAll(first: readonly string[], timeoutMs: number): Promise<void> {
    this.stopping = true;
    const early = this.children.filter((child) => first.includes(child.name));
    await Promise.all(early.map(({ process: child }) => child.stop(timeoutMs)));
    const rest = this.children.filter((child) => !first.includes(child.name)).reverse();
    for (const { process: child, stop } of rest) await (stop ? stop() : child.stop(timeoutMs));
  }

  killAll(): void {
    this.stopping = true;
    for (const { process: child } of this.children) child.kill('SIGKILL');
  }
}
