import { randomBytes } from 'node:crypto';
import { AppError } from '@chat/core';
import type { Redis } from 'ioredis';
import { encodeHandoff, type HandoffEntry } from './handoff.js';
import { createSendKeys, type SendKeys } from './keys.js';
import { NEXT_SEQ_LUA, RAISE_LUA, SEND_LUA, VERSION_LUA } from './scripts.js';

/**
 * How long a clientMsgId is remembered. A client resends after a lost ack within seconds to
 * minutes (the SDK retries on reconnect); a later resend is still answered right, by the
 * unique index, only more slowly and leaving a seq gap. 15 minutes at 1,000 msgs/s is about
 * 70 MB of Redis.
 */
export const SEND_CLAIM_TTL_MS = 15 * 60_000;
/**
 * Counters and membership versions expire this long after they were created (not refreshed
 * per send, which would cost two calls on every send); both are rebuilt on the next send (the
 * counter from MongoDB's highest seq, the version as a new token that makes nodes reload).
 */
export const SEND_STATE_TTL_MS = 7 * 24 * 3600_000;

export interface SendStateOptions {
  /** Shared command client; never closed here. */
  redis: Redis;
  /** Prefix of every key (tests and a second cluster on one Redis choose their own). */
  prefix: string;
  /** The per-user message budget (one fixed window shared by every device and node); absent = none. */
  budget?: { perWindow: number; windowMs: number };
  /** @default SEND_CLAIM_TTL_MS */
  claimTtlMs?: number;
  /** @default SEND_STATE_TTL_MS */
  stateTtlMs?: number;
}

export interface SendRequest {
  conversationId: string;
  senderId: string;
  clientMsgId: string;
  /** The id the message will be stored under; a resend is told the first attempt's. */
  messageId: string;
  /** The membership version the caller's cache was loaded at ('' when it has none). */
  version: string;
  /** Appended to the hand-off stream unless this is a retry. */
  handoff: HandoffEntry;
  /** 'retry': the counter was raised after the insert hit the seq index; take a fresh seq. */
  mode?: 'send' | 'retry';
}

export type SendOutcome =
  | { kind: 'ok'; seq: number }
  | { kind: 'resent'; seq: number; messageId: string }
  | { kind: 'stale'; version: string }
  | { kind: 'seed' };

export interface SendState {
  readonly keys: SendKeys;
  /**
   * The one Redis round trip of a send (scripts.ts SEND_LUA). Throws RATE_LIMITED (with
   * retryAfterMs) when the budget is spent and UNAVAILABLE when Redis cannot answer: a limit
   * that vanishes with Redis is what an attacker waits for.
   */
  allocate(request: SendRequest): Promise<SendOutcome>;
  /** The conversation's membership version, created when missing. */
  versionOf(conversationId: string): Promise<string>;
  /**
   * Who may send there changed (members, closed, blocked): every node's cache entry loaded
   * before this is refused by the next send script. Call it after the MongoDB write and before
   * answering the change.
   */
  bumpVersion(conversationId: string): Promise<void>;
  /**
   * The next seq for a server-made message (one round trip); `undefined` when the counter is
   * missing and must be seeded (`raiseCounter`) first.
   */
  nextSeq(conversationId: string): Promise<number | undefined>;
  /** Moves the counter up to at least `floor`; returns the counter. */
  raiseCounter(conversationId: string, floor: number): Promise<number>;
  /** The counters that exist, by conversation id (one MGET). */
  counters(conversationIds: readonly string[]): Promise<Map<string, number>>;
}

type ScriptReply = [string, string | number];

interface SendCommands {
  chatSend(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
  chatVersion(key: string, token: string, ttlMs: number): Promise<string>;
  chatRaise(key: string, floor: number, ttlMs: number): Promise<number>;
  chatNextSeq(key: string): Promise<number>;
}

const newToken = (): string => randomBytes(9).toString('base64url');

async function unavailableOnFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw AppError.unavailable(err);
  }
}

export function createSendState(options: SendStateOptions): SendState {
  const { redis, budget } = options;
  const keys = createSendKeys(options.prefix);
  const claimTtlMs = options.claimTtlMs ?? SEND_CLAIM_TTL_MS;
  const stateTtlMs = options.stateTtlMs ?? SEND_STATE_TTL_MS;
  redis.defineCommand('chatSend', { lua: SEND_LUA });
  redis.defineCommand('chatVersion', { numberOfKeys: 1, lua: VERSION_LUA });
  redis.defineCommand('chatRaise', { numberOfKeys: 1, lua: RAISE_LUA });
  redis.defineCommand('chatNextSeq', { numberOfKeys: 1, lua: NEXT_SEQ_LUA });
  const commands = redis as unknown as SendCommands;

  function parse(reply: ScriptReply): SendOutcome {
    const [kind, value] = reply;
    switch (kind) {
      case 'ok':
        return { kind, seq: Number(value) };
      case 'resent': {
        const [seq, messageId] = String(value).split(':');
        return { kind, seq: Number(seq), messageId: messageId ?? '' };
      }
      case 'stale':
        return { kind, version: String(value) };
      case 'seed':
        return { kind };
      case 'limited':
        throw AppError.rateLimited(Math.max(1, Number(value)));
      default:
        throw new Error(`send script answered ${String(kind)}`);
    }
  }

  return {
    keys,

    async allocate(request) {
      const { conversationId: c } = request;
      const keyList = [
        keys.version(c),
        keys.claim(c, request.senderId, request.clientMsgId),
        keys.seq(c),
      ];
      if (budget) keyList.push(keys.budget(request.senderId));
      keyList.push(keys.handoff());
      const reply = await unavailableOnFailure(() =>
        commands.chatSend(
          keyList.length,
          ...keyList,
          request.version,
          budget?.perWindow ?? 0,
          budget?.windowMs ?? 0,
          claimTtlMs,
          request.messageId,
          request.mode ?? 'send',
          budget ? '1' : '0',
          '1',
          ...encodeHandoff(request.handoff),
        ),
      );
      return parse(reply);
    },

    versionOf: (conversationId) =>
      unavailableOnFailure(() =>
        commands.chatVersion(keys.version(conversationId), newToken(), stateTtlMs),
      ),

    async bumpVersion(conversationId) {
      await unavailableOnFailure(() =>
        redis.set(keys.version(conversationId), newToken(), 'PX', stateTtlMs),
      );
    },

    async nextSeq(conversationId) {
      const seq = await unavailableOnFailure(() => commands.chatNextSeq(keys.seq(conversationId)));
      return seq < 0 ? undefined : seq;
    },

    raiseCounter: (conversationId, floor) =>
      unavailableOnFailure(() => commands.chatRaise(keys.seq(conversationId), floor, stateTtlMs)),

    async counters(conversationIds) {
      const out = new Map<string, number>();
      if (conversationIds.length === 0) return out;
      const values = await unavailableOnFailure(() =>
        redis.mget(conversationIds.map((id) => keys.seq(id))),
      );
      values.forEach((value, i) => {
        const id = conversationIds[i];
        if (value !== null && id !== undefined) out.set(id, Number(value));
      });
      return out;
    },
  };
}
