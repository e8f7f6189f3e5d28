import type { ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { formatListStamp } from './format.js';

export function NotificationsPanel({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  const list = store.state.notifications;
  const unread = list.filter((n) => !n.read);
  const markAll = async () => {
    await store.http.markNotificationsRead({ all: true }).catch(() => undefined);
    store.set((s) => ({ notifications: s.notifications.map((n) => ({ ...n, read: true })) }));
  };
  return (
    <Dialog title="Notifications" onClose={onClose}>
      {list.length === 0 ? (
        <p class="muted pad">You're all caught up.</p>
      ) : (
        <ul class="notifications">
          {list.map((n) => (
            <li key={n.id} class={n.read ? '' : 'unread'}>
              <div class="row-top">
                <strong>{n.title}</strong>
                <time class="stamp" dateTime={n.createdAt}>
                  {formatListStamp(n.createdAt)}
                </time>
              </div>
              {n.body && <p>{n.body}</p>}
            </li>
          ))}
        </ul>
      )}
      <div class="dialog-actions">
        <button class="btn" disabled={unread.length === 0} onClick={() => void markAll()}>
          Mark all as read
        </button>
      </div>
    </Dialog>
  );
}
