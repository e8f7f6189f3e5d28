/**
 * The Redis keys and channels the gateway itself owns (the packages build theirs: presence and
 * typing in @chat/presence, the send path in @chat/send-state, rate limits through
 * @chat/redis' rateLimitKeyPrefix). `prefix` is REDIS_PREFIX.
 */
export function createGatewayKeys(prefix: string) {
  return {
    /** String with a TTL: the sign-in session was revoked; its access tokens are refused. */
    revokedSession: (sessionId: string): string => `${prefix}sess:revoked:${sessionId}`,
  };
}

/** Pub/sub channel of the adapter latency probe; internal, not part of the client protocol. */
export const FANOUT_PROBE_CHANNEL = 'chat:fanout-probe';
