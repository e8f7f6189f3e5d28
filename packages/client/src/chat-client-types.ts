import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { AuthSession } from './auth-session.js';
import type { ChatError } from './errors.js';
import type {
  Conversation,
  Message,
  ServerToClientEvents,
  SessionEvent,
} from './protocol-types.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** pino-compatible subset; the SDK logs nothing when none is given. */
export interface ChatLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ChatClientOptions {
  /** Cluster origin, e.g. `http://localhost:8080` (same origin as the HTTP API). */
  url: string;
  /** Access token used for the handshake, unless `getToken` is given. */
  token?: string;
  /** Called for every (re)connect handshake; lets the app hand out a fresh token. */
  getToken?: () => string | Promise<string>;
  /**
   * Refreshing tokens (docs/PROTOCOL.md#section-7): handshakes use its access token (refreshed when about to
   * expire), every renewal is sent on the live socket with `auth:renew`, a refused handshake
   * triggers one refresh, and when the session ends for good the client closes.
   * Takes precedence over `token`/`getToken`.
   */
  session?: AuthSession;
  /** @default ['websocket', 'polling'] — polling needs sticky sessions (docs/PROTOCOL.md#section-1). */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
  /** Passed to socket.io-client's `io()` last; `auth` and `autoConnect` are managed by the SDK. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Wait this long for a missing seq before calling `sync`. @default 1000 */
  gapTimeoutMs?: number;
  /** Per request; no ack within it → `ChatError { code: 'TIMEOUT' }`. @default 10000 */
  ackTimeoutMs?: number;
  /** `send` retries after timeouts, disconnects, RATE_LIMITED and UNAVAILABLE. @default 5 */
  maxSendRetries?: number;
  /** `limit` of each `sync` request. @default 100 */
  syncLimit?: number;
  logger?: ChatLogger;
}

export interface SendInput {
  conversationId: string;
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
  /** Idempotency key (1–64 chars); a UUID is generated when absent. */
  clientMsgId?: string;
}

export interface RequestOptions {
  /** @default ackTimeoutMs of the client */
  timeoutMs?: number;
}

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];
type Passthrough = {
  [K in Exclude<keyof ServerToClientEvents, 'message:new' | 'session'>]: (
    payload: Payload<K>,
  ) => void;
};

/** Events of `ChatClient.on`. Server events keep their names and payloads, except `message:new`. */
export interface ChatClientEvents extends Passthrough {
  /** Every message of every conversation exactly once, in seq order per conversation
   *  (live, synced after a gap or a reconnect, and your own acked sends). */
  message: (message: Message) => void;
  /** A conversation was created, changed, or joined (live or found by `sync`). */
  conversation: (conversation: Conversation) => void;
  state: (state: ConnectionState, previous: ConnectionState) => void;
  session: (session: SessionEvent) => void;
  /** The handshake was refused or failed; `code` UNAUTHENTICATED when the token was. */
  connect_error: (error: ChatError) => void;
  /** A catch-up `sync` finished: how many messages it delivered. */
  synced: (info: { reason: 'connect' | 'gap'; messages: number; conversations: number }) => void;
}
