import { AppError, toErrorBody, type Logger } from '@chat/core';
import type { IncomingMessage } from 'node:http';
import type { ChatSocket } from '../realtime/types.js';
import type { AbuseLimitsConfig } from './limits-config.js';
import type { OriginCheck } from './origin.js';
import { consume, type RateLimits } from './rate-limits.js';

export interface SocketGuardOptions {
  limits: AbuseLimitsConfig['socket'];
  rateLimits: RateLimits;
  originAllowed: OriginCheck;
  clientIp: (req: IncomingMessage) => string;
  logger: Logger;
}

/** What engine.io hands a packet listener; `data` is the encoded frame. */
interface EnginePacket {
  type: string;
  data?: unknown;
}

/** The raw `ws` socket under the websocket transport; engine.io does not type it publicly. */
interface RawWebSocket {
  bufferedAmount: number;
  terminate(): void;
}

/**
 * Socket-level defences. Engine.io's `allowRequest` runs on the handshake of both
 * transports (Socket.IO's `cors` option only sets headers; it refuses nothing), so the
 * Origin check and the per-IP connection budget live there.
 */
export function createSocketGuard(options: SocketGuardOptions) {
  const { limits, rateLimits, logger } = options;

  function allowRequest(
    req: IncomingMessage,
    callback: (err: string | null | undefined, success: boolean) => void,
  ): void {
    if (!options.originAllowed(req.headers)) {
      callback('FORBIDDEN', false);
      return;
    }
    consume(rateLimits.connects, options.clientIp(req)).then(
      () => callback(null, true),
      (err: unknown) => callback(toErrorBody(err).code, false),
    );
  }

  /** Per-socket token bucket over every incoming event, known or not, plus flood disconnect. */
  function install(socket: ChatSocket): void {
    let tokens = limits.burst;
    let last = Date.now();
    let refusedInARow = 0;
    socket.use((packet, next) => {
      const now = Date.now();
      tokens = Math.min(limits.burst, tokens + ((now - last) / 1000) * limits.perSecond);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        refusedInARow = 0;
        next();
        return;
      }
      refusedInARow += 1;
      if (refusedInARow >= limits.floodDisconnectAfter) {
        logger.warn(
          { socketId: socket.id, userId: socket.data.userId },
          'socket kept flooding after RATE_LIMITED; disconnecting',
        );
        socket.disconnect(true);
        return;
      }
      const retryAfterMs = Math.ceil(((1 - tokens) / limits.perSecond) * 1000);
      answer(
        socket,
        packet,
        AppError.rateLimited(retryAfterMs, 'Too many events on this connection'),
      );
    });
    watchBacklog(socket);
  }

  /**
   * Slow consumer: bytes engine.io queued for the socket plus what `ws` could not hand to
   * the kernel yet. Checked on every outgoing packet (O(1)), so a socket that stopped
   * reading is cut off after about SOCKET_BACKLOG_MAX_BYTES, whatever the send rate.
   */
  function watchBacklog(socket: ChatSocket): void {
    const conn = socket.conn;
    let queued = 0;
    let cut = false;
    conn.on('flush', () => {
      queued = 0;
    });
    conn.on('packetCreate', (packet: EnginePacket) => {
      if (cut) return;
      queued += sizeOf(packet.data);
      const backlog = queued + (rawWebSocket(socket)?.bufferedAmount ?? 0);
      if (backlog <= limits.backlogMaxBytes) return;
      cut = true;
      logger.warn(
        { socketId: socket.id, userId: socket.data.userId, backlog, limit: limits.backlogMaxBytes },
        'slow consumer: send backlog over the limit; disconnecting',
      );
      disconnectNow(socket);
    });
  }

  return { allowRequest, install };
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

function rawWebSocket(socket: ChatSocket): RawWebSocket | undefined {
  const transport = socket.conn.transport as unknown as { name: string; socket?: RawWebSocket };
  return transport.name === 'websocket' ? transport.socket : undefined;
}

/**
 * A graceful close waits for the write buffer to drain, which a stalled client never does;
 * discard the buffer and drop the TCP connection so the memory is freed now.
 */
function disconnectNow(socket: ChatSocket): void {
  const ws = rawWebSocket(socket);
  socket.disconnect(true);
  socket.conn.close(true);
  ws?.terminate();
}

/** The refusal as the ack wrapper would answer it (ack if there is one, else `error`). */
function answer(socket: ChatSocket, packet: unknown[], err: AppError): void {
  const body = toErrorBody(err);
  const ack = packet[packet.length - 1];
  if (typeof ack === 'function') (ack as (r: unknown) => void)({ ok: false, error: body });
  else
    socket.emit('error', {
      event: String(packet[0]).slice(0, 64),
      code: body.code,
      message: body.message,
    });
}
