import { randomBytes } from 'node:crypto';
import { AppError } from '@chat/core';
import { isCluster, runBySlot, type RedisClient } from '@chat/redis';
import { encodeHandoff, type HandoffEntry } from './handoff.js';
import { createSendKeys, type SendKeys } from './keys.js';
import { BUDGET_LUA, NEXT_SEQ_LUA, RAISE_LUA, SEND_LUA, VERSION_LUA } from './scripts.js';

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
  /** Shared command client (one Redis or a cluster); never closed here. */
  redis: RedisClient;
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
  /**
   * An earlier round of this send was answered `stale`/`seed` with `budgetSpent`: its budget is
   * already spent (cluster mode), so this round must not spend it again.
   */
  budgetSpent?: boolean;
  /**
   * Presence sets (@chat/presence `keys.user`) for the script to read in the same round trip,
   * on one Redis only (a Redis Cluster keeps them in other slots and leaves this out):
   * - `sender`: its live devices come back as the outcome's `devices` (the direct-message
   *   fan-out needs them);
   * - `recipient`, a direct message's other member: when it has a live connection the message
   *   reaches it live and no offline hand-off entry is added.
   * `now` is the presence store's clock.
   */
  presence?: { now: number; sender?: string; recipient?: string };
}

export type SendOutcome =
  | { kind: 'ok'; seq: number; devices?: number }
  | { kind: 'resent'; seq: number; messageId: string; devices?: number }
  /** `budgetSpent`: this send's budget is spent already; pass it on the next round. */
  | { kind: 'stale'; version: string; budgetSpent?: true }
  | { kind: 'seed'; budgetSpent?: true };

export interface SendState {
  readonly keys: SendKeys;
  /**
   * The one Redis round trip of a send on one Redis (scripts.ts SEND_LUA). On a Redis Cluster
   * the budget, the conversation's keys and the hand-off stream are in three slots: three
   * round trips, in this order (BUDGET_LUA on the user's slot, SEND_LUA without budget and
   * hand-off on the conversation's, XADD on the stream's). Throws RATE_LIMITED (with
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
  /** The counters that exist, by conversation id (one MGET; one per slot on a cluster). */
  counters(conversationIds: readonly string[]): Promise<Map<string, number>>;
}

type ScriptReply = [string, string | number, number?];

interface SendCommands {
  chatSend(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
  chatBudget(key: string, limit: number, windowMs: number): Promise<ScriptReply>;
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
  redis.defineCommand('chatBudget', { numberOfKeys: 1, lua: BUDGET_LUA });
  redis.defineCommand('chatVersion', { numberOfKeys: 1, lua: VERSION_LUA });
  redis.defineCommand('chatRaise', { numberOfKeys: 1, lua: RAISE_LUA });
  redis.defineCommand('chatNextSeq', { numberOfKeys: 1, lua: NEXT_SEQ_LUA });
  const commands = redis as unknown as SendCommands;

  function parse(reply: ScriptReply): SendOutcome {
    const [kind, value, devices] = reply;
    const counted = devices === undefined ? {} : { devices };
    switch (kind) {
      case 'ok':
        return { kind, seq: Number(value), ...counted };
      case 'resent': {
        const [seq, messageId] = String(value).split(':');
        return { kind, seq: Number(seq), messageId: messageId ?? '', ...counted };
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

  /** One Redis: every check and write of the send in one script, one round trip. */
  async function allocateInOneScript(request: SendRequest): Promise<SendOutcome> {
    const { conversationId: c } = request;
    const keyList = [
      keys.version(c),
      keys.claim(c, request.senderId, request.clientMsgId),
      keys.seq(c),
    ];
    if (budget) keyList.push(keys.budget(request.senderId));
    keyList.push(keys.handoff());
    const { presence } = request;
    if (presence?.sender !== undefined) keyList.push(presence.sender);
    if (presence?.recipient !== undefined) keyList.push(presence.recipient);
    const reply = await unavailableOnFailure(() =>
      commands.chatSend(
        keyList.length,
        ...keyList,
        ...sendArgs(request, budget !== undefined, true),
      ),
    );
    return parse(reply);
  }

  /**
   * A Redis Cluster. Safety as on one Redis: a refused budget claims nothing (it runs first);
   * `stale`/`seed` say the budget is spent so the caller's next round skips it; the hand-off
   * entry is added only after the conversation's script granted (or re-found) the seq, and a
   * failed XADD fails the send (UNAVAILABLE), whose resend adds it then.
   */
  async function allocateAcrossSlots(request: SendRequest): Promise<SendOutcome> {
    const { conversationId: c } = request;
    const retry = request.mode === 'retry';
    let spent = false;
    if (budget && !retry && request.budgetSpent !== true) {
      parse(
        await unavailableOnFailure(() =>
          commands.chatBudget(keys.budget(request.senderId), budget.perWindow, budget.windowMs),
        ),
      );
      spent = true;
    }
    const keyList = [
      keys.version(c),
      keys.claim(c, request.senderId, request.clientMsgId),
      keys.seq(c),
    ];
    const outcome = parse(
      await unavailableOnFailure(() =>
        commands.chatSend(
          keyList.length,
          ...keyList,
          ...sendArgs({ ...request, presence: undefined }, false, false),
        ),
      ),
    );
    if (outcome.kind === 'stale' || outcome.kind === 'seed') {
      return spent || request.budgetSpent === true ? { ...outcome, budgetSpent: true } : outcome;
    }
    if (!retry) {
      const entry =
        outcome.kind === 'resent'
          ? { ...request.handoff, messageId: outcome.messageId }
          : request.handoff;
      await unavailableOnFailure(() => redis.xadd(keys.handoff(), '*', ...encodeHandoff(entry)));
    }
    return outcome;
  }

  /** SEND_LUA's ARGV. */
  function sendArgs(request: SendRequest, withBudget: boolean, withHandoff: boolean) {
    return [
      request.version,
      budget?.perWindow ?? 0,
      budget?.windowMs ?? 0,
      claimTtlMs,
      request.messageId,
      request.mode ?? 'send',
      withBudget ? '1' : '0',
      withHandoff ? '1' : '0',
      request.presence?.now ?? '',
      request.presence?.sender !== undefined ? '1' : '0',
      request.presence?.recipient !== undefined ? '1' : '0',
      ...(withHandoff ? encodeHandoff(request.handoff) : []),
    ];
  }

  return {
    keys,

    allocate: isCluster(redis) ? allocateAcrossSlots : allocateInOneScript,

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
        runBySlot(redis, conversationIds, keys.seq, (group) => redis.mget(group.map(keys.seq))),
      );
      values.forEach((value, i) => {
        const id = conversationIds[i];
        if (value !== null && value !== undefined && id !== undefined) out.set(id, Number(value));
      });
      return out;
    },
  };
}
