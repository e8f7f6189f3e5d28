// The one seam between the SDK and @chat/protocol: other SDK modules import protocol
// types from here. Type-only imports, so a browser bundle of the SDK pulls in no
// protocol runtime code (TypeBox schemas stay on the server).
import type { ClientToServerEvents } from '@chat/protocol';

export type {
  Attachment,
  AuthResponse,
  ClientToServerEvents,
  Conversation,
  ErrorBody,
  ErrorCode,
  HistoryResponse,
  ListConversationsResponse,
  MemberRole,
  Message,
  MessageEdit,
  MessageReceiptsResponse,
  MessageSendPayload,
  ReceiptEntry,
  Notification,
  Presence,
  Reaction,
  RefreshResponse,
  SearchResponse,
  SearchResult,
  Session,
  SessionsResponse,
  ServerToClientEvents,
  SessionEvent,
  SyncAck,
  SyncConversationResult,
  SyncCursor,
  User,
  UserWithPresence,
} from '@chat/protocol';

/** Client → server request events (docs/PROTOCOL.md#section-3); all take an ack. */
export type RequestEvent = keyof ClientToServerEvents;
export type RequestPayload<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckOf<E extends RequestEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
/** The data of a successful ack, without `ok`. */
export type AckData<E extends RequestEvent> = Omit<Extract<AckOf<E>, { ok: true }>, 'ok'>;
