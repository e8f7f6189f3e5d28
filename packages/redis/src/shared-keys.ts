import { hashTag } from './slots.js';

/**
 * Key shapes that more than one package writes, so they are spelled once. Each package still
 * builds its own keys in its own keys module (presence, send-state, the gateway's), from these.
 */

/**
 * `<prefix>{c:<conversationId>}`: the start of every per-conversation key (send state, typing).
 * Sharing the hash tag puts all of a conversation's keys in one Redis Cluster slot, so one
 * script or MULTI may touch any of them.
 */
export function conversationKeyBase(prefix: string, conversationId: string): string {
  return `${prefix}${hashTag(`c:${conversationId}`)}`;
}

/**
 * `<prefix>rl:<limit>`: rate-limiter-flexible's `keyPrefix` of one limit; the library appends
 * `:<key>`. The send script counts the message budget in the same format (limit `msg`).
 */
export function rateLimitKeyPrefix(prefix: string, limit: string): string {
  return `${prefix}rl:${limit}`;
}
