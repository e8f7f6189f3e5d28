import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';
import { io, type Socket } from 'socket.io-client';

export type BenchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface BenchUser {
  userId: string;
  token: string;
  /** The gateway this user's socket and HTTP calls go to. */
  nodeUrl: string;
}

/** Runs `task` over `items` with at most `limit` in flight; keeps the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A real socket.io-client over WebSocket only, resolved once the server sent `session`. */
export function connectSocket(user: BenchUser, timeoutMs = 15_000): Promise<BenchSocket> {
  const socket: BenchSocket = io(user.nodeUrl, {
    transports: ['websocket'],
    auth: { token: user.token },
    // One Manager (and TCP connection) per client, as separate devices would have.
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`socket for ${user.userId} got no session within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('session', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`socket for ${user.userId} refused: ${error.message}`));
    });
  });
}

export interface OpenLoopOptions {
  ratePerSec: number;
  durationMs: number;
  /** Called once per message with the time it was DUE (performance.now() ms). */
  fire: (dueAtMs: number, index: number) => void;
  /** Stops the loop early, e.g. when too much is outstanding. */
  shouldStop?: () => boolean;
  signal?: AbortSignal;
  /** @default 2 */
  tickMs?: number;
}

export interface OpenLoopResult {
  fired: number;
  elapsedMs: number;
  /** Worst delay between a message's due time and its actual send: the generator's own lag. */
  maxLagMs: number;
  stoppedEarly: boolean;
}

/**
 * Open-loop schedule: message k is due at start + k / rate, whatever the server's answers.
 * Each tick sends everything that has become due. The due time (not the actual send time)
 * is the message's timestamp, so a stalled generator or server cannot hide latency
 * (no coordinated omission).
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { ratePerSec, durationMs } = options;
  const intervalMs = 1000 / ratePerSec;
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  const start = performance.now();
  let fired = 0;
  let maxLagMs = 0;
  let stoppedEarly = false;
  while (fired < total) {
    if (options.signal?.aborted || options.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    while (fired < due) {
      const dueAt = start + fired * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - dueAt);
      options.fire(dueAt, fired);
      fired += 1;
    }
    await sleep(options.tickMs ?? 2);
  }
  return { fired, elapsedMs: performance.now() - start, maxLagMs, stoppedEarly };
}
