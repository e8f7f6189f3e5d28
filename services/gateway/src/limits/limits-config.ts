import type { EnvReader } from '@chat/core';
import { LIMITS } from '@chat/protocol';

/** Abuse limits (docs/PROTOCOL.md#section-4 defaults); every number comes from the environment. */
export interface AbuseLimitsConfig {
  socket: {
    /** Token bucket per socket. @default 20 burst, 10/s sustained */
    burst: number;
    perSecond: number;
    /** Events refused in a row (within the flood window) before the socket is disconnected. @default 50 */
    floodDisconnectAfter: number;
    /** A socket whose unsent backlog passes this is disconnected (slow consumer). @default 4 MiB */
    backlogMaxBytes: number;
    /** Live sockets one user may hold across the cluster. @default 20 */
    maxPerUser: number;
    /** Handshakes per IP per minute (both transports). @default 120 */
    connectsPerIpPerMinute: number;
  };
  messages: { perWindow: number; windowMs: number };
  login: { failuresPerIpUsername: number; failuresPerIp: number; windowMs: number };
  register: { perIpPerHour: number };
  http: {
    /** Requests per IP (the client's, see TRUST_PROXY) per window. @default 600 per minute */
    perIp: number;
    /** Authenticated requests per user per window, all IPs. @default 600 per minute */
    perUser: number;
    windowMs: number;
  };
  /**
   * Origins allowed for browsers (HTTP CORS and the Socket.IO handshake). Requests without
   * an Origin and same-origin requests are always allowed; `*` allows every origin.
   */
  corsOrigins: string[];
}

export function readAbuseLimits(r: EnvReader): AbuseLimitsConfig {
  const burst = r.int('RATE_SOCKET_BURST', {
    default: LIMITS.socketEventsBurst,
    min: 1,
    max: 1_000_000,
  });
  return {
    socket: {
      burst,
      perSecond: r.int('RATE_SOCKET_PER_SEC', {
        default: LIMITS.socketEventsPerSecond,
        min: 1,
        max: 1_000_000,
      }),
      floodDisconnectAfter: r.int('RATE_SOCKET_FLOOD_DISCONNECT', {
        default: 50,
        min: 1,
        max: 1_000_000,
      }),
      backlogMaxBytes: r.int('SOCKET_BACKLOG_MAX_BYTES', {
        default: 4 * 1024 * 1024,
        min: 64 * 1024,
        max: 1024 ** 3,
      }),
      maxPerUser: r.int('MAX_SOCKETS_PER_USER', { default: 20, min: 1, max: 100_000 }),
      connectsPerIpPerMinute: r.int('RATE_CONNECT_PER_IP_PER_MIN', {
        default: 120,
        min: 1,
        max: 10_000_000,
      }),
    },
    messages: {
      perWindow: r.int('RATE_MESSAGES_PER_WINDOW', {
        default: LIMITS.userMessagesPerWindow,
        min: 1,
        max: 10_000_000,
      }),
      windowMs: r.duration('RATE_MESSAGES_WINDOW_MS', {
        default: LIMITS.userMessagesWindowMs,
        min: 1000,
      }),
    },
    login: {
      failuresPerIpUsername: r.int('RATE_LOGIN_PER_IP_USERNAME', {
        default: LIMITS.loginFailuresPerIpUsernamePerMinute,
        min: 1,
        max: 10_000_000,
      }),
      failuresPerIp: r.int('RATE_LOGIN_PER_IP', {
        default: LIMITS.loginFailuresPerIpPerMinute,
        min: 1,
        max: 10_000_000,
      }),
      windowMs: r.duration('RATE_LOGIN_WINDOW_MS', { default: 60_000, min: 1000 }),
    },
    register: {
      perIpPerHour: r.int('RATE_REGISTER_PER_HOUR', {
        default: LIMITS.registrationsPerIpPerHour,
        min: 1,
        max: 10_000_000,
      }),
    },
    http: {
      perIp: r.int('RATE_HTTP_PER_IP', { default: 600, min: 1, max: 100_000_000 }),
      perUser: r.int('RATE_HTTP_PER_USER', { default: 600, min: 1, max: 100_000_000 }),
      windowMs: r.duration('RATE_HTTP_WINDOW_MS', { default: 60_000, min: 1000 }),
    },
    corsOrigins: r.list('CORS_ORIGINS', { default: [] }),
  };
}
