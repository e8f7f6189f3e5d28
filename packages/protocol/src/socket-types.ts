import type { AckCallback } from './ack.js';
import type { UserUpdatedEvent } from './profile.js';
import type {
  AuthRenewAck,
  AuthRenewPayload,
  ConversationDeliveredAck,
  ConversationDeliveredPayload,
  ConversationReadAck,
  ConversationReadPayload,
  ConversationRemovedEvent,
  ConversationUpdatedEvent,
  EmptyAck,
  ErrorEvent,
  FileUploadAck,
  FileUploadPayload,
  MessageAck,
  MessageDeletePayload,
  MessageEditPayload,
  MessageEvent,
  MessageHistoryAck,
  MessageHistoryPayload,
  MessageReactAck,
  MessageReactPayload,
  MessageReactionsEvent,
  MessageSendPayload,
  NotificationNewEvent,
  PresenceEvent,
  PresenceQueryAck,
  PresenceQueryPayload,
  ReceiptEvent,
  ServerDrainingEvent,
  SessionEvent,
  SyncAck,
  SyncPayload,
  TypingEvent,
  TypingPayload,
} from './events.js';

/**
 * Client → server events, for `Server<ClientToServerEvents, ServerToClientEvents, ...>` and
 * socket.io-client's `Socket<ServerToClientEvents, ClientToServerEvents>`.
 *
 * The ack is typed as required so `emitWithAck` infers the response type. At runtime the
 * server must still treat both arguments as untrusted: the payload goes through
 * createValidator and the ack may be missing (then the server emits `error`, docs/PROTOCOL.md#section-1).
 */
export interface ClientToServerEvents {
  'message:send': (payload: MessageSendPayload, ack: AckCallback<MessageAck>) => void;
  'message:edit': (payload: MessageEditPayload, ack: AckCallback<MessageAck>) => void;
  'message:delete': (payload: MessageDeletePayload, ack: AckCallback<EmptyAck>) => void;
  'message:react': (payload: MessageReactPayload, ack: AckCallback<MessageReactAck>) => void;
  'conversation:read': (
    payload: ConversationReadPayload,
    ack: AckCallback<ConversationReadAck>,
  ) => void;
  'conversation:delivered': (
    payload: ConversationDeliveredPayload,
    ack: AckCallback<ConversationDeliveredAck>,
  ) => void;
  'typing:start': (payload: TypingPayload, ack: AckCallback<EmptyAck>) => void;
  'typing:stop': (payload: TypingPayload, ack: AckCallback<EmptyAck>) => void;
  'presence:query': (payload: PresenceQueryPayload, ack: AckCallback<PresenceQueryAck>) => void;
  sync: (payload: SyncPayload, ack: AckCallback<SyncAck>) => void;
  'message:history': (payload: MessageHistoryPayload, ack: AckCallback<MessageHistoryAck>) => void;
  'file:upload': (payload: FileUploadPayload, ack: AckCallback<FileUploadAck>) => void;
  'auth:renew': (payload: AuthRenewPayload, ack: AckCallback<AuthRenewAck>) => void;
}

export interface ServerToClientEvents {
  session: (payload: SessionEvent) => void;
  'message:new': (payload: MessageEvent) => void;
  'message:updated': (payload: MessageEvent) => void;
  'message:reactions': (payload: MessageReactionsEvent) => void;
  receipt: (payload: ReceiptEvent) => void;
  typing: (payload: TypingEvent) => void;
  presence: (payload: PresenceEvent) => void;
  'conversation:updated': (payload: ConversationUpdatedEvent) => void;
  'conversation:removed': (payload: ConversationRemovedEvent) => void;
  'notification:new': (payload: NotificationNewEvent) => void;
  /** docs/PROTOCOL.md#section-7: a contact changed their display name or avatar. */
  'user:updated': (payload: UserUpdatedEvent) => void;
  error: (payload: ErrorEvent) => void;
  /** Addition to docs/PROTOCOL.md#section-3 (graceful drain), see ServerDrainingEvent. */
  'server:draining': (payload: ServerDrainingEvent) => void;
}

/** Between the cluster's processes, through the Socket.IO adapter (never from clients). */
export interface InterServerEvents {
  /**
   * Move the sockets in `from` (users' own rooms) into or out of `room`; answered once applied
   * (@chat/redis membership-sync.ts: ordered membership on the sharded adapter).
   */
  'chat:membership': (
    request: { op: 'join' | 'leave'; from: string[]; room: string },
    ack: (ok: boolean) => void,
  ) => void;
}

/** `socket.data`, set by the gateway's auth middleware. */
export interface SocketData {
  userId: string;
  username?: string;
  /** Access token expiry, seconds since the epoch; moved forward by `auth:renew`. */
  tokenExp: number;
  /** Sign-in session of the token (docs/PROTOCOL.md#section-7); its revocation disconnects the socket. */
  sessionId?: string;
}
