import { AppError, toErrorBody, type Logger } from '@chat/core';
import { createAdapterFactory, type AdapterKind, type RedisClient } from '@chat/redis';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server } from 'socket.io';
import type { AuthService } from '../domain/auth.service.js';
import { AuthRenewPayload, LIMITS, rooms } from '@chat/protocol';
import { defineHandler, type HandlerObserver, type RegisteredHandler } from './define-handler.js';
import type { ChatServer, ChatSocket } from './types.js';

export interface SocketLifecycle {
  /**
   * During the handshake, after authentication. Throwing an AppError refuses the
   * connection: the client gets `connect_error` with `message` = the code and
   * `data` = `{ code, message, ...details }`. A socket admitted here that never reaches
   * `connected` (the client left mid-handshake) is the hook's to release.
   */
  admit?(socket: ChatSocket): Promise<void>;
  /** After the socket joined its rooms, before `session` is sent. */
  connected?(socket: ChatSocket): Promise<void> | void;
  disconnected?(socket: ChatSocket, reason: string): Promise<void> | void;
}

export interface SocketServerOptions {
  httpServer: HttpServer;
  pubClient: RedisClient;
  subClient: RedisClient;
  /** classic or sharded (deps.ts resolves REDIS_ADAPTER). */
  adapter: AdapterKind;
  nodeId: string;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxFrameBytes: number;
  /** Runs on the handshake of both transports (origin, per-IP connection limits). */
  allowRequest?: (
    req: IncomingMessage,
    callback: (err: string | null | undefined, success: boolean) => void,
  ) => void;
}

/** The Socket.IO server with the Redis adapter; handlers come later via attachRealtime. */
export function createSocketServer(options: SocketServerOptions): ChatServer {
  const io: ChatServer = new Server(options.httpServer, {
    path: '/socket.io',
    // On ADAPTER_CHANNEL (@chat/protocol), where the worker publishes its presence sweeps.
    adapter: createAdapterFactory(options.adapter, options.pubClient, options.subClient),
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    maxHttpBufferSize: options.maxFrameBytes,
    serveClient: false,
    ...(options.allowRequest ? { allowRequest: options.allowRequest } : {}),
  });
  const tagNode = (headers: Record<string, string>) => {
    headers['X-Node-Id'] = options.nodeId;
  };
  io.engine.on('initial_headers', tagNode);
  io.engine.on('headers', tagNode);
  return io;
}

export interface RealtimeOptions {
  auth: AuthService;
  nodeId: string;
  logger: Logger;
  /** Conversations whose rooms a new socket joins. */
  conversationIdsOf: (userId: string) => Promise<string[]>;
  handlers: RegisteredHandler[];
  /** Metrics and the drain's in-flight count. */
  observe?: HandlerObserver;
  lifecycle?: SocketLifecycle[];
  /**
   * Sharded adapter: resolves once this node's subscriptions to these rooms are confirmed, so
   * a client told `session` misses no broadcast to them (membership-sync.ts).
   */
  roomsReady?: (rooms: readonly string[]) => Promise<void>;
}

/** setTimeout's limit; longer token lifetimes are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Authentication, rooms, handlers and token expiry for every connecting socket. */
export function attachRealtime(io: ChatServer, options: RealtimeOptions): void {
  const { logger } = options;

  io.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > LIMITS.tokenMaxChars) {
      next(new Error('UNAUTHENTICATED'));
      return;
    }
    // fresh: a device whose session was just revoked must not reconnect on a cached answer.
    options.auth.identify(token, { fresh: true }).then(
      ({ identity }) => {
        if (!identity) return next(new Error('UNAUTHENTICATED'));
        socket.data.userId = identity.userId;
        if (identity.username !== undefined) socket.data.username = identity.username;
        socket.data.tokenExp = identity.exp;
        if (identity.sessionId !== undefined) socket.data.sessionId = identity.sessionId;
        admit(socket).then(() => next(), next);
      },
      (err: unknown) => {
        const code = toErrorBody(err).code;
        if (code === 'INTERNAL') logger.error({ err }, 'socket authentication failed');
        // The client sees only the code: "UNAUTHENTICATED", or "UNAVAILABLE" when Mongo is down.
        next(new Error(code === 'INTERNAL' ? 'UNAVAILABLE' : code));
      },
    );
  });

  /** The lifecycles' admission checks, in order; the first refusal wins. */
  async function admit(socket: ChatSocket): Promise<void> {
    for (const l of options.lifecycle ?? []) {
      if (!l.admit) continue;
      try {
        await l.admit(socket);
      } catch (err) {
        let body = toErrorBody(err);
        if (body.code === 'INTERNAL') {
          logger.error({ err }, 'socket admission failed');
          // As for authentication: the client learns only that it may retry.
          body = toErrorBody(AppError.unavailable(err));
        }
        const refusal = new Error(body.code) as Error & { data?: unknown };
        refusal.data = { code: body.code, message: body.message, ...body.details };
        throw refusal;
      }
    }
  }

  const renew = defineHandler('auth:renew', AuthRenewPayload, async ({ token }, { socket }) => {
    const { identity } = await options.auth.identify(token, { fresh: true });
    if (!identity || identity.userId !== socket.data.userId)
      throw AppError.unauthenticated('Token is for another user');
    socket.data.tokenExp = identity.exp;
    // A token of another of the user's sessions moves the socket to that session's room, so
    // revoking the session it now lives on closes it.
    if (identity.sessionId !== socket.data.sessionId) {
      if (socket.data.sessionId !== undefined)
        await socket.leave(rooms.session(socket.data.sessionId));
      if (identity.sessionId !== undefined) await socket.join(rooms.session(identity.sessionId));
      socket.data.sessionId = identity.sessionId;
    }
    armExpiry(socket);
    return { exp: identity.exp };
  });

  io.on('connection', (socket) => {
    const socketLogger = logger.child({ socketId: socket.id, userId: socket.data.userId });
    // Own room first, synchronously: a membership change from now on reaches this socket.
    void socket.join(rooms.user(socket.data.userId));
    if (socket.data.sessionId !== undefined) void socket.join(rooms.session(socket.data.sessionId));
    for (const register of [...options.handlers, renew])
      register(socket, socketLogger, options.observe);
    armExpiry(socket);
    socket.on('disconnect', (reason) => {
      clearExpiry(socket);
      for (const l of options.lifecycle ?? []) {
        Promise.resolve(l.disconnected?.(socket, reason)).catch((err: unknown) =>
          socketLogger.warn({ err }, 'disconnect hook failed'),
        );
      }
    });
    void setUp(socket, socketLogger);
  });

  async function setUp(socket: ChatSocket, socketLogger: Logger): Promise<void> {
    try {
      const conversationIds = await options.conversationIdsOf(socket.data.userId);
      if (!socket.connected) return;
      const conversationRooms = conversationIds.map(rooms.conversation);
      await socket.join(conversationRooms);
      // Its own rooms too: an event to the user right after `session` must not miss this node.
      await options.roomsReady?.([...socket.rooms]);
      for (const l of options.lifecycle ?? []) await l.connected?.(socket);
      socket.emit('session', {
        userId: socket.data.userId,
        nodeId: options.nodeId,
        serverTime: new Date().toISOString(),
      });
    } catch (err) {
      // Without its rooms the socket would silently miss events: make the client retry.
      socketLogger.warn({ err }, 'socket set-up failed; disconnecting');
      socket.disconnect(true);
    }
  }

  const expiryTimers = new WeakMap<ChatSocket, NodeJS.Timeout>();
  function clearExpiry(socket: ChatSocket) {
    const timer = expiryTimers.get(socket);
    if (timer) clearTimeout(timer);
  }
  /** docs/PROTOCOL.md#section-3: an expired token disconnects the socket unless `auth:renew` came first. */
  function armExpiry(socket: ChatSocket) {
    clearExpiry(socket);
    const remaining = socket.data.tokenExp * 1000 - Date.now();
    const timer = setTimeout(
      () => {
        if (socket.data.tokenExp * 1000 <= Date.now()) socket.disconnect(true);
        else armExpiry(socket);
      },
      Math.max(0, Math.min(remaining, MAX_TIMER_MS)),
    );
    timer.unref();
    expiryTimers.set(socket, timer);
  }
}
