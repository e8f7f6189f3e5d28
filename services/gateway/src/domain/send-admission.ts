import { AppError } from '@chat/core';
import type { Redis } from 'ioredis';

/**
 * How long a clientMsgId is remembered. A client resends after a lost ack within seconds to
 * minutes (the SDK's outbox retries on reconnect); a later resend is still answered correctly,
 * only more slowly (see createSendAdmission). 15 minutes of sends at 1,000 msgs/s is about
 * 70 MB of Redis.
 */
export const SEND_CLAIM_TTL_MS = 15 * 60_000;

/**
 * The per-user message budget (fixed window, shared by every device and node) and the
 * idempotency claim, in one script: one command and one round trip per send. The budget key
 * and its format are rate-limiter-flexible's (`<prefix>rl:msg:<user>`, a counter with a TTL),
 * so the counters stay compatible with the other limiters' tooling.
 * KEYS: budget key, claim key. ARGV: limit, windowMs, claimTtlMs.
 * Returns: [admitted (0|1), budget ms left, first (0|1)]; a refused send claims nothing.
 */
export const SEND_ADMISSION_LUA = `
local used = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
if used > tonumber(ARGV[1]) then return {0, left, 0} end
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[3], 'NX') then return {1, left, 1} end
return {1, left, 0}
`;

export interface SendAdmission {
  /**
   * Spends one message of the sender's budget (RATE_LIMITED with `retryAfterMs` when it is
   * gone, UNAVAILABLE when Redis cannot answer: a limit that vanishes with Redis is what an
   * attacker waits for). `first` is true when no node has seen this (sender, clientMsgId)
   * within the claim TTL, so the send may skip the MongoDB idempotency lookup.
   */
  admit(senderId: string, clientMsgId: string): Promise<{ first: boolean }>;
}

interface AdmissionCommands {
  chatSendAdmission(
    budgetKey: string,
    claimKey: string,
    limit: number,
    windowMs: number,
    claimTtlMs: number,
  ): Promise<[number, number, number]>;
}

/**
 * The fast path of DESIGN decision 3's idempotency, folded into the rate limit's round trip:
 * a first send needs no MongoDB read (a MongoDB command costs the driver 200–400 µs of CPU
 * here; docs/SCALING.md).
 *
 * The claim is only a hint; the unique index on (senderId, clientMsgId) stays the truth:
 * - "first" although the message exists (Redis lost its data, or the TTL passed): the insert
 *   fails on the index and the stored message is answered, leaving one unused seq, the same
 *   gap a resend racing on two nodes leaves;
 * - "not first" for a send that never stored (it failed, was refused or is in flight
 *   elsewhere): the lookup finds nothing and the send goes on as new.
 */
export function createSendAdmission(deps: {
  redis: Redis;
  keyPrefix: string;
  perWindow: number;
  windowMs: number;
  claimTtlMs?: number;
}): SendAdmission {
  const { redis, keyPrefix, perWindow, windowMs } = deps;
  const claimTtlMs = deps.claimTtlMs ?? SEND_CLAIM_TTL_MS;
  redis.defineCommand('chatSendAdmission', { numberOfKeys: 2, lua: SEND_ADMISSION_LUA });
  const commands = redis as unknown as AdmissionCommands;
  return {
    async admit(senderId, clientMsgId) {
      let answer: [number, number, number];
      try {
        answer = await commands.chatSendAdmission(
          `${keyPrefix}rl:msg:${senderId}`,
          `${keyPrefix}sent:${senderId}:${clientMsgId}`,
          perWindow,
          windowMs,
          claimTtlMs,
        );
      } catch (err) {
        throw AppError.unavailable(err);
      }
      const [admitted, leftMs, first] = answer;
      if (admitted !== 1) throw AppError.rateLimited(Math.max(1, leftMs));
      return { first: first === 1 };
    },
  };
}
