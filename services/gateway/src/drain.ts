import type { Logger } from '@chat/core';
import type { FastifyInstance } from 'fastify';
import type { Readiness } from './http/routes/health.route.js';
import type { ChatServer } from './realtime/types.js';

/** Counts running socket handlers so a drain can wait for their acks. */
export interface InFlightTracker {
  readonly count: number;
  /** Call when a handler starts; call the returned function once when it ended. */
  start(): () => void;
  /** Resolves true when nothing runs, false when `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function createInFlightTracker(): InFlightTracker {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    get count() {
      return count;
    },
    start() {
      count++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        count--;
        if (count === 0) {
          const ready = waiters;
          waiters = [];
          for (const wake of ready) wake();
        }
      };
    },
    idle(timeoutMs) {
      if (count === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve(false);
        }, timeoutMs);
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(wake);
      });
    },
  };
}

export interface DrainOptions {
  app: FastifyInstance;
  io: ChatServer;
  readiness: Readiness;
  inFlight: InFlightTracker;
  /** Closes Redis and Mongo (deps.close). */
  closeDeps: () => Promise<void>;
  logger: Logger;
  /** The window over which clients spread their reconnects (SDK jitter). @default 2000 */
  reconnectSpreadMs?: number;
  /** Whole drain budget; the caller's hard timeout should be a little longer. @default 20000 */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * docs/DESIGN.md#decision-8, in order: readiness turns 503 (the balancer and new handshakes go
 * elsewhere), connected clients get `server:draining` and leave with jitter, sockets
 * still here after the spread window are closed, running handlers finish (their acks
 * go out while the socket lives; their writes complete either way, so a client's resend
 * with the same clientMsgId finds the stored message), then Socket.IO, HTTP and the
 * dependencies close. Each wait is bounded so the whole drain fits in `timeoutMs`.
 */
export async function drainNode(options: DrainOptions): Promise<void> {
  const { io, app, readiness, inFlight, logger } = options;
  const spreadMs = options.reconnectSpreadMs ?? 2000;
  const budgetMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + budgetMs;
  const left = () => Math.max(0, deadline - Date.now());

  readiness.draining = true;
  // Refuse new TCP connections at once: nginx's proxy_next_upstream then sends new handshakes
  // (and the next poll of a client that left) to another node instead of waiting for us;
  // open websockets and running requests are not affected. (A refused handshake on a
  // connection that stays open gets 403 from allowRequest, which nginx does not retry.)
  app.server.close();
  const sockets = io.of('/').sockets.size;
  logger.info(
    { sockets, inFlight: inFlight.count },
    'draining: telling clients to reconnect elsewhere',
  );
  io.local.emit('server:draining', { reconnectAfterMs: spreadMs });

  // Clients leave on their own (the SDK disconnects at once and reconnects within the
  // spread); old clients without the hint are closed after the window.
  const leaveBy = Date.now() + Math.min(spreadMs, left() / 2);
  while (io.of('/').sockets.size > 0 && Date.now() < leaveBy) await sleep(50);
  await inFlight.idle(Math.min(5000, left() / 2));
  io.local.disconnectSockets(true);
  // A handler that started before the disconnect still writes; let it finish before Mongo closes.
  const settled = await inFlight.idle(Math.min(5000, left()));
  if (!settled)
    logger.warn({ inFlight: inFlight.count }, 'draining: handlers still running at the deadline');

  await new Promise<void>((resolve) => {
    void io.close(() => resolve());
  });
  await app.close();
  await options.closeDeps();
  logger.info({ sockets, tookMs: budgetMs - left() }, 'drained');
}
