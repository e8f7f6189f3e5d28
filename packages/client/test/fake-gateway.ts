import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { WebSocketServer } from 'ws';
import type { Message } from '@chat/protocol';

// A stand-in for services/gateway built on the real Socket.IO server: it speaks the
// docs/PROTOCOL.md#section-3 wire shapes and lets each test script the server's answers, so the SDK's
// retry/reconnect/ordering paths can be driven deterministically (crashing a real node at
// the exact moment an ack is in flight is not). End-to-end tests against real gateways
// live with the gateway.

export type AckFn = (response: unknown) => void;
export type Handler = (socket: Socket, payload: unknown, ack: AckFn) => void;

export interface FakeGateway {
  url: string;
  io: Server;
  /** Tokens the auth middleware accepts. */
  tokens: Set<string>;
  /** Every request received, in order. */
  received: { event: string; payload: unknown; socketId: string; token: unknown }[];
  handle(event: string, handler: Handler): void;
  sockets(): Socket[];
  close(): Promise<void>;
}

export const USER_ID = 'a'.repeat(24);
export const CONV = 'c'.repeat(24);

export function message(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: seq.toString(16).padStart(24, '0'),
    conversationId: CONV,
    seq,
    senderId: 'b'.repeat(24),
    kind: 'text',
    text: `m${seq}`,
    attachments: [],
    reactions: [],
    createdAt: new Date(Date.UTC(2026, 0, 5, 12, 0, seq)).toISOString(),
    ...extra,
  };
}

/** Answers plain HTTP requests (the /api routes); socket.io takes /socket.io itself. */
export type HttpHandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

export async function startFakeGateway(httpHandler?: HttpHandler): Promise<FakeGateway> {
  const http: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (httpHandler !== undefined) httpHandler(req, Buffer.concat(chunks).toString(), res);
      else res.writeHead(404).end();
    });
  });
  // wsEngine explicitly: vitest runs workers with `--conditions import`, which makes
  // engine.io's require('ws') load ws's ESM wrapper (no `Server` export).
  const io = new Server(http, { transports: ['websocket', 'polling'], wsEngine: WebSocketServer });
  const tokens = new Set(['good']);
  const handlers = new Map<string, Handler>();
  const received: FakeGateway['received'] = [];

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token === 'string' && tokens.has(token)) next();
    else next(new Error('UNAUTHENTICATED'));
  });
  io.on('connection', (socket) => {
    socket.emit('session', {
      userId: USER_ID,
      nodeId: 'fake-1',
      serverTime: new Date().toISOString(),
    });
    socket.onAny((event: string, payload: unknown, ack: unknown) => {
      received.push({
        event,
        payload,
        socketId: socket.id,
        token: (socket.handshake.auth as { token?: unknown }).token,
      });
      const handler = handlers.get(event);
      if (typeof ack !== 'function') return;
      if (handler === undefined) {
        (ack as AckFn)({
          ok: false,
          error: { code: 'NOT_FOUND', message: `no handler for ${event}` },
        });
        return;
      }
      handler(socket, payload, ack as AckFn);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    io,
    tokens,
    received,
    handle: (event, handler) => handlers.set(event, handler),
    sockets: () => [...io.of('/').sockets.values()],
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
    },
  };
}

/** Polls `predicate` until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
