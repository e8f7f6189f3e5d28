import type { Conversation, Message } from '@chat/client';
import type { AppState } from './types.js';

/** Merges messages into a seq-sorted list; a newer copy (edit, tombstone, reactions) replaces the old one. */
export function mergeMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of list) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Most recent activity first (docs/PROTOCOL.md#section-2 order of the list). */
export function activityOf(c: Conversation): string {
  return c.lastMessage?.createdAt ?? c.createdAt;
}

export function sortConversations(all: Record<string, Conversation>): Conversation[] {
  return Object.values(all).sort((a, b) => activityOf(b).localeCompare(activityOf(a)));
}

/** The list preview of a message. */
export function lastMessageOf(m: Message): NonNullable<Conversation['lastMessage']> {
  const kind = m.deleted
    ? 'deleted'
    : m.kind === 'system'
      ? 'system'
      : m.text
        ? 'text'
        : (m.attachments[0]?.kind ?? 'text');
  return {
    id: m.id,
    seq: m.seq,
    senderId: m.senderId,
    kind,
    createdAt: m.createdAt,
    ...(m.text !== undefined && !m.deleted ? { text: m.text } : {}),
  };
}

/**
 * A conversation snapshot from the server (list refresh, `conversation` event) may have been
 * read before messages this client already received: never let it move seq, the preview or
 * the read cursor backwards.
 */
export function mergeConversation(
  local: Conversation | undefined,
  incoming: Conversation,
): Conversation {
  if (!local) return incoming;
  const seq = Math.max(local.seq, incoming.seq);
  const readSeq = Math.max(local.readSeq, incoming.readSeq);
  return {
    ...incoming,
    seq,
    readSeq,
    unreadCount: Math.max(0, seq - readSeq),
    ...(local.seq > incoming.seq && local.lastMessage ? { lastMessage: local.lastMessage } : {}),
  };
}

/** The state change for one incoming message (live, synced, or our own acked send). */
export function applyMessage(s: AppState, m: Message, me: string | undefined): Partial<AppState> {
  const list = s.messages[m.conversationId] ?? {
    items: [],
    hasMore: true,
    loading: false,
    loaded: false,
  };
  const pending = s.pending[m.conversationId];
  const conv = s.conversations[m.conversationId];
  const mine = m.senderId === me;
  const isNew = conv !== undefined && m.seq > conv.seq;
  const next: Partial<AppState> = {
    messages: {
      ...s.messages,
      [m.conversationId]: { ...list, items: mergeMessages(list.items, [m]) },
    },
  };
  // docs/PROTOCOL.md#section-3: sending moves the sender's own read cursor to that message, and the
  // server sends no receipt for that move; the message itself is the receipt.
  const senderCursor = s.cursors[m.conversationId]?.[m.senderId];
  if (!mine && (senderCursor?.readSeq ?? 0) < m.seq) {
    next.cursors = {
      ...s.cursors,
      [m.conversationId]: {
        ...s.cursors[m.conversationId],
        [m.senderId]: {
          readSeq: m.seq,
          deliveredSeq: Math.max(m.seq, senderCursor?.deliveredSeq ?? 0),
        },
      },
    };
  }
  if (pending && m.clientMsgId !== undefined) {
    next.pending = {
      ...s.pending,
      [m.conversationId]: pending.filter((p) => p.clientMsgId !== m.clientMsgId),
    };
  }
  if (conv && isNew) {
    next.conversations = {
      ...s.conversations,
      [conv.id]: {
        ...conv,
        seq: m.seq,
        lastMessage: lastMessageOf(m),
        readSeq: mine ? m.seq : conv.readSeq,
        unreadCount: mine ? 0 : conv.unreadCount + 1,
      },
    };
  }
  return next;
}
