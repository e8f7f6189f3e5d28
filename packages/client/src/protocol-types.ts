// The one seam between the SDK and @chat/protocol. Until the protocol package exports
// its event maps, these mirror PROTOCOL.md §2–§3 by hand; every other SDK module
// imports protocol types from here only, so switching to the package is one file.

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'EDIT_WINDOW_CLOSED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  avatarUrl?: string;
}
export interface User extends PublicUser {
  createdAt: string;
}
export interface UserPresence {
  online: boolean;
  lastSeen?: string;
}
export interface UserWithPresence extends User {
  presence: UserPresence;
}
export interface Presence {
  userId: string;
  online: boolean;
  lastSeen?: string;
  devices: number;
}

export type MemberRole = 'owner' | 'admin' | 'member';
export interface Member {
  userId: string;
  role: MemberRole;
  joinedAt: string;
  user: PublicUser;
}
export interface LastMessage {
  id: string;
  seq: number;
  senderId: string;
  text?: string;
  kind: 'text' | 'image' | 'video' | 'audio' | 'file' | 'deleted';
  createdAt: string;
}
export interface Conversation {
  id: string;
  type: 'direct' | 'group';
  title?: string;
  avatarUrl?: string;
  members: Member[];
  createdAt: string;
  lastMessage?: LastMessage;
  seq: number;
  readSeq: number;
  unreadCount: number;
}
export interface Attachment {
  id: string;
  name: string;
  size: number;
  mime: string;
  kind: 'image' | 'video' | 'audio' | 'file';
  url: string;
}
export interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}
export interface ReplyPreview {
  id: string;
  seq: number;
  senderId: string;
  text?: string;
}
export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId?: string;
  text?: string;
  attachments: Attachment[];
  replyTo?: ReplyPreview;
  reactions: Reaction[];
  createdAt: string;
  editedAt?: string;
  deleted?: true;
}
export interface Notification {
  id: string;
  type: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

// ---- socket payloads (PROTOCOL §3) ----
export interface SendMessagePayload {
  conversationId: string;
  clientMsgId: string;
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
}
export interface SyncCursor {
  conversationId: string;
  seq: number;
}
export interface SyncConversationResult {
  conversationId: string;
  messages: Message[];
  hasMore: boolean;
  seq: number;
  readSeq: number;
}
export interface SyncResult {
  conversations: SyncConversationResult[];
  changed: Conversation[];
}
export interface HistoryResult {
  messages: Message[];
  hasMore: boolean;
}

/** Client → server request events: payload and ack data (without `ok`). */
export interface RequestEvents {
  'message:send': { payload: SendMessagePayload; ack: { message: Message } };
  'message:edit': { payload: { messageId: string; text: string }; ack: { message: Message } };
  'message:delete': { payload: { messageId: string; scope: 'me' | 'everyone' }; ack: Record<string, never> };
  'message:react': {
    payload: { messageId: string; emoji: string; op: 'add' | 'remove' };
    ack: { reactions: Reaction[] };
  };
  'conversation:read': { payload: { conversationId: string; seq: number }; ack: { readSeq: number } };
  'conversation:delivered': { payload: { conversationId: string; seq: number }; ack: { deliveredSeq: number } };
  'typing:start': { payload: { conversationId: string }; ack: Record<string, never> };
  'typing:stop': { payload: { conversationId: string }; ack: Record<string, never> };
  'presence:query': { payload: { userIds: string[] }; ack: { presence: Presence[] } };
  sync: { payload: { cursors: SyncCursor[]; limit?: number }; ack: SyncResult };
  'message:history': {
    payload: { conversationId: string; before?: number; after?: number; limit?: number };
    ack: HistoryResult;
  };
  'file:upload': { payload: { name: string; data: ArrayBuffer | Uint8Array }; ack: { attachment: Attachment } };
  'auth:renew': { payload: { token: string }; ack: { exp: number } };
}
export type RequestEvent = keyof RequestEvents;
export type RequestPayload<E extends RequestEvent> = RequestEvents[E]['payload'];
export type AckData<E extends RequestEvent> = RequestEvents[E]['ack'];
export type AckResponse<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

export interface SessionPayload {
  userId: string;
  nodeId: string;
  serverTime: string;
}

/** Server → client events (PROTOCOL §3) plus `server:draining` (graceful drain, DESIGN decision 8). */
export interface ServerEvents {
  session: (payload: SessionPayload) => void;
  'message:new': (payload: { message: Message }) => void;
  'message:updated': (payload: { message: Message }) => void;
  'message:reactions': (payload: { conversationId: string; messageId: string; reactions: Reaction[] }) => void;
  receipt: (payload: {
    conversationId: string;
    userId: string;
    readSeq?: number;
    deliveredSeq?: number;
    at: string;
  }) => void;
  typing: (payload: { conversationId: string; userId: string; state: 'start' | 'stop' }) => void;
  presence: (payload: Presence) => void;
  'conversation:updated': (payload: { conversation: Conversation }) => void;
  'conversation:removed': (payload: { conversationId: string }) => void;
  'notification:new': (payload: { notification: Notification }) => void;
  'server:draining': (payload: { reconnectAfterMs: number }) => void;
  error: (payload: { event: string; code: ErrorCode; message: string }) => void;
}
