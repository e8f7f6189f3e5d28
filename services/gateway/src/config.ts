import { createEnvReader, type Env } from '@chat/core';
import { LIMITS } from '@chat/protocol';
import { readQueuePrefix, readRedisConfig, type RedisConfig } from '@chat/redis';
import { hostname } from 'node:os';
import { readUploadsConfig, type UploadsConfig } from './uploads-config.js';
import { defaultWebDistDir } from './web-dist.js';
import { readAbuseLimits, type AbuseLimitsConfig } from './limits/limits-config.js';

export interface GatewayConfig {
  nodeId: string;
  host: string;
  port: number;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  mongo: {
    url: string;
    dbName: string;
    /**
     * MONGO_SHARDED: the deployment shards its collections (docs/SCALING.md "MongoDB: sharding
     * plan"); a send's insert batch then costs two MongoDB commands instead of one. Every
     * gateway of a deployment must agree. @default false
     */
    sharded: boolean;
  };
  /**
   * How long the written-behind parts of a send (the conversation's seq and preview, the
   * sender's cursors) wait to share one write: what other nodes' previews may trail by.
   * @default 500
   */
  writeBehindMs: number;
  /**
   * One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES), the Socket.IO adapter
   * (REDIS_ADAPTER) and TLS; `keyPrefix` (REDIS_PREFIX) for the send path's and typing keys.
   */
  redis: RedisConfig & { keyPrefix: string };
  auth: {
    jwtSecret: string;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    /** Sliding lifetime of a sign-in session / refresh token (docs/PROTOCOL.md#section-7). @default 30 days */
    refreshTokenTtlSeconds: number;
    external?: { jwksUrl: string; issuer: string; audience: string };
  };
  limits: {
    textMaxChars: number;
    attachmentsPerMessage: number;
    groupMaxMembers: number;
    editWindowMs: number;
  };
  realtime: { pingIntervalMs: number; pingTimeoutMs: number; maxFrameBytes: number };
  /** Uploads and signed file URLs. */
  uploads: UploadsConfig;
  /** Presence; prefix/TTL must match the worker's PRESENCE_PREFIX/PRESENCE_TTL_MS. */
  presence: {
    prefix?: string;
    /** A connection without a heartbeat for this long counts as gone. @default 45 s (+ 10 s worker sweep ≤ 60 s) */
    ttlMs: number;
    /** Delay before announcing a clean offline, so a reload does not flap. @default 5 s */
    graceMs: number;
    /** Heartbeats are written to Redis in one batch per node this often. @default 5 s */
    flushMs: number;
  };
  typing: {
    /** A `start` is relayed at most once per user and conversation in this window. @default 2.5 s */
    throttleMs: number;
    /** A `start` without a new start/stop turns into `stop` after this. @default 6 s */
    expireMs: number;
  };
  /** BullMQ key prefix; must match the worker's QUEUE_PREFIX. */
  queuePrefix?: string;
  /** Hard limit for a graceful drain before the process exits anyway. @default 20 s */
  drainTimeoutMs: number;
  /** Addresses whose X-Forwarded-For is believed (the load balancer). */
  trustProxy: string[];
  /** Rate limits, origins, connection and backlog limits (docs/SECURITY.md). */
  abuse: AbuseLimitsConfig;
  /** The web UI build served at `/` (WEB_DIST_DIR); none → API only. @default packages/web/dist when built */
  webDistDir?: string;
}

const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

/** Reads and checks every variable once; a bad value stops the process naming the variable. */
export function loadGatewayConfig(env: Env): GatewayConfig {
  const r = createEnvReader(env);
  const production = r.str('NODE_ENV', { default: 'development' }) === 'production';
  const jwtSecret = r.str('JWT_SECRET', { default: DEV_SECRET });
  if (production && (jwtSecret === DEV_SECRET || jwtSecret.length < 32)) {
    r.problem('JWT_SECRET', 'must be set to at least 32 random characters in production');
  }
  const jwksUrl = r.url('AUTH_JWKS_URL', { optional: true, protocols: ['https:', 'http:'] });
  const externalIssuer = r.str('AUTH_ISSUER_EXTERNAL', { optional: true });
  const externalAudience = r.str('AUTH_AUDIENCE_EXTERNAL', { optional: true });
  if (jwksUrl && (!externalIssuer || !externalAudience)) {
    r.problem('AUTH_JWKS_URL', 'needs AUTH_ISSUER_EXTERNAL and AUTH_AUDIENCE_EXTERNAL');
  }
  const redis = readRedisConfig(r, { defaultUrl: 'redis://127.0.0.1:6379' });
  const config: GatewayConfig = {
    nodeId: r.str('NODE_ID', { default: `${hostname()}-${process.pid}` }),
    host: r.str('HOST', { default: '0.0.0.0' }),
    port: r.int('PORT', { default: 3000, min: 0, max: 65535 }),
    production,
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
    }),
    mongo: {
      url: r.url('MONGO_URL', {
        default: 'mongodb://127.0.0.1:27017/',
        protocols: ['mongodb:', 'mongodb+srv:'],
      }),
      dbName: r.str('MONGO_DB', { default: 'chat' }),
      sharded: r.bool('MONGO_SHARDED', { default: false }),
    },
    writeBehindMs: r.int('WRITE_BEHIND_MS', { default: 500, min: 0, max: 5_000 }),
    redis: {
      ...redis,
      keyPrefix: r.str('REDIS_PREFIX', { default: 'chat:' }),
    },
    auth: {
      jwtSecret,
      issuer: r.str('JWT_ISSUER', { default: 'chat-cluster' }),
      audience: r.str('JWT_AUDIENCE', { default: 'chat-clients' }),
      accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', {
        default: 3600,
        min: 10,
        max: 30 * 86400,
      }),
      refreshTokenTtlSeconds: r.int('REFRESH_TOKEN_TTL_SECONDS', {
        default: 30 * 86400,
        min: 60,
        max: 365 * 86400,
      }),
      ...(jwksUrl && externalIssuer && externalAudience
        ? { external: { jwksUrl, issuer: externalIssuer, audience: externalAudience } }
        : {}),
    },
    limits: {
      textMaxChars: r.int('TEXT_MAX_CHARS', {
        default: LIMITS.textMaxChars,
        min: 1,
        max: LIMITS.textMaxChars,
      }),
      attachmentsPerMessage: r.int('ATTACHMENTS_PER_MESSAGE', {
        default: LIMITS.attachmentsPerMessage,
        min: 0,
        max: LIMITS.attachmentsPerMessage,
      }),
      groupMaxMembers: r.int('GROUP_MAX_MEMBERS', {
        default: LIMITS.groupMembersDefault,
        min: 2,
        max: LIMITS.groupMembersMax,
      }),
      editWindowMs: r.duration('EDIT_WINDOW', { default: LIMITS.editWindowMs, min: 0 }),
    },
    realtime: {
      pingIntervalMs: r.duration('PING_INTERVAL', {
        default: LIMITS.presenceHeartbeatMs,
        min: 1000,
      }),
      pingTimeoutMs: r.duration('PING_TIMEOUT', { default: 20_000, min: 1000 }),
      maxFrameBytes: r.int('MAX_FRAME_BYTES', {
        default: LIMITS.socketFrameMaxBytes,
        min: 1024,
        max: 16 * 1024 * 1024,
      }),
    },
    presence: {
      prefix: r.str('PRESENCE_PREFIX', { optional: true }),
      ttlMs: r.int('PRESENCE_TTL_MS', { default: 45_000, min: 1000, max: 3_600_000 }),
      graceMs: r.int('PRESENCE_GRACE_MS', { default: 5000, min: 0, max: 600_000 }),
      flushMs: r.int('PRESENCE_FLUSH_MS', { default: 5000, min: 50, max: 600_000 }),
    },
    typing: {
      throttleMs: r.int('TYPING_THROTTLE_MS', { default: 2500, min: 0, max: 60_000 }),
      expireMs: r.int('TYPING_EXPIRE_MS', {
        default: LIMITS.typingExpiresMs,
        min: 100,
        max: 60_000,
      }),
    },
    queuePrefix: readQueuePrefix(r, redis.topology),
    uploads: readUploadsConfig(r, jwtSecret),
    drainTimeoutMs: r.duration('DRAIN_TIMEOUT', { default: 20_000, min: 0 }),
    trustProxy: r.list('TRUST_PROXY', { default: ['127.0.0.1', '::1'] }),
    abuse: readAbuseLimits(r),
    webDistDir: r.str('WEB_DIST_DIR', { optional: true }) ?? defaultWebDistDir(),
  };
  // A live connection is refreshed at most pingInterval + flush apart: the TTL must cover that.
  if (config.presence.ttlMs <= config.realtime.pingIntervalMs + config.presence.flushMs) {
    r.problem('PRESENCE_TTL_MS', 'must be longer than PING_INTERVAL + PRESENCE_FLUSH_MS');
  }
  r.done();
  return config;
}
