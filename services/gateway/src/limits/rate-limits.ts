import { AppError } from '@chat/core';
import { rateLimitKeyPrefix, type RedisClient } from '@chat/redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AbuseLimitsConfig } from './limits-config.js';

/**
 * The cluster-wide limiters: counters live in Redis, so a user or IP spreading requests
 * over devices and nodes draws from one budget. One key prefix per limit. Messages per user
 * are counted by the send itself, in one script with its idempotency claim
 * (@chat/send-state).
 */
export interface RateLimits {
  /** Login attempts per (IP, username) and per IP; a success gives its points back. */
  loginIpUsername: RateLimiterRedis;
  loginIp: RateLimiterRedis;
  /** Registrations per IP. */
  register: RateLimiterRedis;
  /** Socket.IO handshakes per IP (websocket and polling). */
  connects: RateLimiterRedis;
  /** Authenticated HTTP requests per user, all IPs together. */
  httpUser: RateLimiterRedis;
  /**
   * HTTP requests per client IP. While Redis fails it falls back to a per-node in-memory
   * budget (insuranceLimiter) instead of refusing the whole API.
   */
  httpIp: RateLimiterRedis;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createRateLimits(
  redis: RedisClient,
  keyPrefix: string,
  limits: AbuseLimitsConfig,
): RateLimits {
  const make = (name: string, points: number, durationMs: number, insurance?: RateLimiterMemory) =>
    new RateLimiterRedis({
      // rate-limiter-flexible takes an ioredis Cluster as well: each limit is one key (one slot).
      storeClient: redis,
      keyPrefix: rateLimitKeyPrefix(keyPrefix, name),
      points,
      duration: seconds(durationMs),
      // A Redis that is down answers UNAVAILABLE at once instead of queueing commands.
      rejectIfRedisNotReady: true,
      ...(insurance ? { insuranceLimiter: insurance } : {}),
    });
  return {
    loginIpUsername: make('login-iu', limits.login.failuresPerIpUsername, limits.login.windowMs),
    loginIp: make('login-ip', limits.login.failuresPerIp, limits.login.windowMs),
    register: make('register', limits.register.perIpPerHour, 3_600_000),
    connects: make('connect', limits.socket.connectsPerIpPerMinute, 60_000),
    httpUser: make('http-user', limits.http.perUser, limits.http.windowMs),
    httpIp: make(
      'http-ip',
      limits.http.perIp,
      limits.http.windowMs,
      new RateLimiterMemory({ points: limits.http.perIp, duration: seconds(limits.http.windowMs) }),
    ),
  };
}

/**
 * Consumes `points` for `key`; over the limit → RATE_LIMITED with `retryAfterMs`, a Redis
 * failure → UNAVAILABLE (never a silent pass: a limit that vanishes when Redis hiccups is
 * exactly what an attacker waits for).
 */
export async function consume(
  limiter: RateLimiterRedis,
  key: string,
  points = 1,
): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key, points);
  } catch (err) {
    throw toLimitError(err);
  }
}

export function toLimitError(err: unknown): AppError {
  if (err instanceof RateLimiterRes) return AppError.rateLimited(Math.max(1, err.msBeforeNext));
  if (err instanceof AppError) return err;
  return AppError.unavailable(err);
}
