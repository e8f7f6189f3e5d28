import { ReplyError } from 'ioredis';

/**
 * Reply codes a Redis Cluster answers while it moves a slot or elects a new master: the data
 * is fine, the cluster is not serving it right now. The code is the reply's first word
 * (protocol, not wording).
 */
const TRANSIENT_REPLY_CODES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'LOADING', 'MASTERDOWN']);

/** ioredis' own error classes for "no server answered". */
const UNAVAILABLE_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'AbortError',
]);

/** Socket-level failures (Node's system error codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * ioredis rejects with plain `Error`s for these and compares the texts itself
 * (utils CONNECTION_CLOSED_ERROR_MSG, Command.js); there is no class to test. They are
 * matched exactly, in this one place.
 */
const IOREDIS_PLAIN_MESSAGES = new Set(['Connection is closed.', 'Command timed out']);
const STREAM_NOT_WRITEABLE = "Stream isn't writeable";

/** ioredis types ReplyError (redis-errors) as `any`. */
const replyErrorClass: unknown = ReplyError;
const isReplyError = (err: Error): boolean =>
  typeof replyErrorClass === 'function' && err instanceof replyErrorClass;

/**
 * True when a Redis call failed because Redis (or the cluster's slot owner) did not answer:
 * the caller should answer UNAVAILABLE (retryable), not INTERNAL.
 */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (isReplyError(err)) {
    const code = err.message.split(' ', 1)[0] ?? '';
    return TRANSIENT_REPLY_CODES.has(code);
  }
  if (UNAVAILABLE_NAMES.has(err.name)) return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  return IOREDIS_PLAIN_MESSAGES.has(err.message) || err.message.startsWith(STREAM_NOT_WRITEABLE);
}
