import type { Notification } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { formatListStamp } from './format.js';

/** A notification about a conversation (e.g. "added you to …") opens it. */
function conversationOf(n: Notification): string | undefined {
  const id = n.data?.['conversationId'];
  return typeof id === 'string' ? id : undefined;
}

export function NotificationsPanel({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  const list = store.state.notifications;
  const unread = list.filter((n) => !n.read);
  const markRead = async (which: { ids: string[] } | { all: true }) => {
    await store.http.markNotificationsRead(which).catch(() => undefined);
    const ids = 'ids' in which ? new Set(which.ids) : undefined;
    store.set((s) => ({
      notifications: s.notifications.map((n) => (!ids || ids.has(n.id) ? { ...n, read: true } : n)),
    }));
  };
  const open = (n: Notification, conversationId: string) => {
    if (!n.read) void markRead({ ids: [n.id] });
    if (store.state.conversations[conversationId]) store.open(conversationId);
    onClose();
  };
  return (
    <Dialog title="Notifications" onClose={onClose}>
      {list.length === 0 ? (
        <p class="muted pad">You're all caught up.</p>
      ) : (
        <ul class="notifications">
          {list.map((n) => {
            const conversationId = conversationOf(n);
            const content = (
              <>
                <span class="row-top">
                  <strong>{n.title}</strong>
                  <time class="stamp" dateTime={n.createdAt}>
                    {formatListStamp(n.createdAt)}
                  </time>
                </span>
                {n.body && <span class="body">{n.body}</span>}
              </>
            );
            return (
              <li key={n.id} class={n.read ? '' : 'unread'}>
                {conversationId ? (
                  <button class="notification-open" onClick={() => open(n, conversationId)}>
                    {content}
                  </button>
                ) : (
                  content
                )}
              </li>
            );
          })}
        </ul>
      )}
      <div class="dialog-actions">
        <button
          class="btn"
          disabled={unread.length === 0}
          onClick={() => void markRead({ all: true })}
        >
          Mark all as read
        </button>
      </div>
    </Dialog>
  );
}
