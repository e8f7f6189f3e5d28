import type {
  Attachment,
  ConnectionState,
  Conversation,
  Message,
  Notification,
  User,
} from '@chat/client';

/** `message.replyTo` (docs/PROTOCOL.md#section-2). */
export type ReplyPreview = NonNullable<Message['replyTo']>;

export interface MessageList {
  /** Sorted by seq, no duplicates. */
  items: Message[];
  /** Older messages exist on the server (infinite scroll upward). */
  hasMore: boolean;
  loading: boolean;
  /** The newest page was fetched at least once. */
  loaded: boolean;
}

/** A message the user sent that has no server copy (seq) yet. */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  text?: string;
  attachments: Attachment[];
  replyTo?: ReplyPreview;
  status: 'pending' | 'failed';
  createdAt: string;
  error?: string;
}

export interface MemberCursor {
  readSeq: number;
  deliveredSeq: number;
}

export interface UploadItem {
  localId: string;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  attachment?: Attachment;
  previewUrl?: string;
  error?: string;
}

export interface AppState {
  me?: User;
  connection: ConnectionState;
  conversations: Record<string, Conversation>;
  activeId?: string;
  messages: Record<string, MessageList>;
  pending: Record<string, PendingMessage[]>;
  /** conversationId → userId → cursors seen in `receipt` events. */
  cursors: Record<string, Record<string, MemberCursor>>;
  /** conversationId → userId → typing expiry (ms epoch). */
  typing: Record<string, Record<string, number>>;
  presence: Record<string, { online: boolean; lastSeen?: string }>;
  notifications: Notification[];
  /** Staged attachments of the composer, per conversation. */
  uploads: Record<string, UploadItem[]>;
  /** A short message shown to the user (failed action). */
  toast?: string;
  /** The session ended without the user signing out (refresh refused): the login page says so. */
  sessionEnded?: boolean;
  /** A message to scroll to and flash once its conversation shows it (a search hit). */
  highlight?: { conversationId: string; seq: number };
  /** People this user blocked (GET /api/users/me/blocks at sign-in, then this device's changes). */
  blocked: Record<string, true>;
}

export const initialState: AppState = {
  connection: 'closed',
  conversations: {},
  messages: {},
  pending: {},
  cursors: {},
  typing: {},
  presence: {},
  notifications: [],
  uploads: {},
  blocked: {},
};
