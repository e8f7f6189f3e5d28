import type { ChatClient, Message } from '@chat/client';
import type { ChatStore } from './chat-store.js';

/** A `typing: start` expires by itself after 6 s (docs/PROTOCOL.md#section-3). */
const TYPING_TTL_MS = 6000;

function replaceMessage(store: ChatStore, message: Message): void {
  store.set((s) => {
    const list = s.messages[message.conversationId];
    const conv = s.conversations[message.conversationId];
    const next: Partial<typeof s> = {};
    if (list) {
      next.messages = {
        ...s.messages,
        [message.conversationId]: {
          ...list,
          items: list.items.map((m) => (m.id === message.id ? message : m)),
        },
      };
    }
    if (conv?.lastMessage?.id === message.id) {
      const lastMessage = {
        ...conv.lastMessage,
        kind: message.deleted ? ('deleted' as const) : conv.lastMessage.kind,
      };
      if (message.deleted) delete lastMessage.text;
      else if (message.text !== undefined) lastMessage.text = message.text;
      next.conversations = { ...s.conversations, [conv.id]: { ...conv, lastMessage } };
    }
    return next;
  });
}

function everyoneWeKnow(store: ChatStore): string[] {
  const me = store.state.me?.id;
  const ids = Object.values(store.state.conversations).flatMap((c) =>
    c.members.map((m) => m.userId),
  );
  return [...new Set(ids)].filter((id) => id !== me);
}

/** Connects every SDK event to the store. */
export function wireLiveEvents(store: ChatStore, chat: ChatClient): () => void {
  chat.on('state', (connection) => store.set({ connection }));
  chat.on('session', () => void store.queryPresence(everyoneWeKnow(store)));
  chat.on('message', (m) => store.receive(m));
  chat.on('message:updated', ({ message }) => replaceMessage(store, message));
  chat.on('message:reactions', ({ conversationId, messageId, reactions }) => {
    const m = store.state.messages[conversationId]?.items.find((x) => x.id === messageId);
    if (m) replaceMessage(store, { ...m, reactions });
  });
  chat.on('conversation', (c) => store.upsertConversation(c));
  chat.on('conversation:removed', ({ conversationId }) => store.removeConversation(conversationId));
  chat.on('receipt', (r) => {
    store.set((s) => {
      const conv = { ...s.cursors[r.conversationId] };
      const prev = conv[r.userId] ?? { readSeq: 0, deliveredSeq: 0 };
      const readSeq = Math.max(prev.readSeq, r.readSeq ?? 0);
      // Reading implies having received.
      conv[r.userId] = {
        readSeq,
        deliveredSeq: Math.max(prev.deliveredSeq, r.deliveredSeq ?? 0, readSeq),
      };
      return { cursors: { ...s.cursors, [r.conversationId]: conv } };
    });
  });
  chat.on('typing', ({ conversationId, userId, state }) => {
    store.set((s) => {
      const conv = { ...s.typing[conversationId] };
      if (state === 'start') conv[userId] = Date.now() + TYPING_TTL_MS;
      else delete conv[userId];
      return { typing: { ...s.typing, [conversationId]: conv } };
    });
  });
  chat.on('presence', (p) =>
    store.set((s) => ({
      presence: {
        ...s.presence,
        [p.userId]: { online: p.online, ...(p.lastSeen ? { lastSeen: p.lastSeen } : {}) },
      },
    })),
  );
  chat.on('user:updated', ({ user }) => store.userUpdated(user));
  chat.on('notification:new', ({ notification }) =>
    store.set((s) => ({
      notifications: [notification, ...s.notifications.filter((n) => n.id !== notification.id)],
    })),
  );
  chat.on('synced', ({ reason }) => {
    // After an outage the list's unread counts and previews may be stale; one refresh fixes them.
    if (reason === 'connect') void store.refreshConversations().catch(() => undefined);
  });
  // Typing indicators that never got their `stop` (the typist's node died) expire here.
  const timer = setInterval(() => {
    const now = Date.now();
    const typing = store.state.typing;
    let changed = false;
    const next: typeof typing = {};
    for (const [conv, users] of Object.entries(typing)) {
      next[conv] = {};
      for (const [user, until] of Object.entries(users)) {
        if (until > now) next[conv][user] = until;
        else changed = true;
      }
    }
    if (changed) store.set({ typing: next });
  }, 1000);
  return () => clearInterval(timer);
}
