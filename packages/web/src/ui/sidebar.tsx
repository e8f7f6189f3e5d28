import { useEffect, useState } from 'preact/hooks';
import type { User } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { sortConversations } from '../state/merge.js';
import { Avatar } from './avatar.js';
import { formatListStamp, nameOf, peerOf, titleOf } from './format.js';
import { NewGroupDialog } from './new-group.js';
import { NotificationsPanel } from './notifications.js';
import { SettingsDialog } from './settings.js';
import { MessageSearch } from './message-search.js';
import { Icon } from './icons.js';

function preview(text: string | undefined, kind: string): string {
  if (kind === 'deleted') return 'Message deleted';
  if (kind === 'system') return 'Group updated';
  if (text) return text;
  return { image: 'Photo', video: 'Video', audio: 'Audio', file: 'File' }[kind] ?? '';
}

/** Debounced username search for starting a direct chat. */
function useUserSearch(store: ChatStore, query: string): User[] {
  const [results, setResults] = useState<User[]>([]);
  useEffect(() => {
    const q = query.trim().toLowerCase();
    if (q.length < 1) {
      setResults([]);
      return;
    }
    const timer = setTimeout(() => {
      store.http.searchUsers(q, { limit: 10 }).then(
        (users) => setResults(users.filter((u) => u.id !== store.state.me?.id)),
        () => setResults([]),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [query, store]);
  return results;
}

export function Sidebar({ store }: { store: ChatStore }) {
  const s = store.state;
  const me = s.me!;
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<'group' | 'notifications' | 'settings'>();
  const found = useUserSearch(store, query);
  const conversations = sortConversations(s.conversations);
  const unreadNotifications = s.notifications.filter((n) => !n.read).length;

  const startChat = async (user: User) => {
    setQuery('');
    await store.openDirect(user.id).catch((err: unknown) => store.toast(describeError(err)));
  };

  return (
    <aside class="sidebar" aria-label="Conversations">
      <header class="sidebar-head">
        <Avatar name={nameOf(me)} seed={me.id} size={36} url={me.avatarUrl} />
        <div class="me">
          <strong>{nameOf(me)}</strong>
          <span class="muted">@{me.username}</span>
        </div>
        <button
          class="icon-btn"
          aria-label={`Notifications${unreadNotifications ? ` (${unreadNotifications} unread)` : ''}`}
          onClick={() => setDialog('notifications')}
        >
          <Icon name="bell" />
          {unreadNotifications > 0 && <span class="dot-count">{unreadNotifications}</span>}
        </button>
        <button
          class="icon-btn"
          aria-label="New group"
          title="New group"
          onClick={() => setDialog('group')}
        >
          <Icon name="users" />
        </button>
        <button
          class="icon-btn"
          aria-label="Settings"
          title="Settings"
          onClick={() => setDialog('settings')}
        >
          <Icon name="settings" />
        </button>
        <button
          class="icon-btn"
          aria-label="Sign out"
          title="Sign out"
          onClick={() => store.logout()}
        >
          <Icon name="logout" />
        </button>
      </header>
      <div class="search">
        <input
          type="search"
          placeholder="Search people by username"
          aria-label="Search people by username"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      <MessageSearch store={store} />
      {query.trim() && (
        <ul class="search-results" aria-label="People">
          {found.length === 0 && <li class="muted pad">No one found</li>}
          {found.map((u) => (
            <li key={u.id}>
              <button class="row" onClick={() => void startChat(u)}>
                <Avatar name={nameOf(u)} seed={u.id} size={36} />
                <span class="row-text">
                  <strong>{nameOf(u)}</strong>
                  <span class="muted">@{u.username}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <ul class="conv-list" role="list">
        {conversations.length === 0 && !query && (
          <li class="muted pad">No conversations yet. Search for someone above to say hello.</li>
        )}
        {conversations.map((c) => {
          const peer = peerOf(c, me.id);
          const online = peer ? (s.presence[peer.id]?.online ?? false) : undefined;
          const typing = Object.keys(s.typing[c.id] ?? {}).some((id) => id !== me.id);
          const last = c.lastMessage;
          const senderPrefix =
            last?.kind === 'system'
              ? ''
              : last && c.type === 'group'
                ? last.senderId === me.id
                  ? 'You: '
                  : `${nameOf(c.members.find((m) => m.userId === last.senderId)?.user).split(' ')[0]}: `
                : last?.senderId === me.id
                  ? 'You: '
                  : '';
          return (
            <li key={c.id}>
              <button
                class={`row conv ${s.activeId === c.id ? 'active' : ''}`}
                onClick={() => store.open(c.id)}
                aria-current={s.activeId === c.id ? 'true' : undefined}
                data-conversation={c.id}
              >
                <Avatar
                  name={titleOf(c, me.id)}
                  seed={peer?.id ?? c.id}
                  url={peer?.avatarUrl ?? c.avatarUrl}
                  online={online}
                  group={c.type === 'group'}
                />
                <span class="row-text">
                  <span class="row-top">
                    <strong class="ellipsis">{titleOf(c, me.id)}</strong>
                    {store.isMuted(c.id) && (
                      <span class="muted-mark" aria-label="Muted" data-testid="muted">
                        <Icon name="bellOff" size={14} />
                      </span>
                    )}
                    {last && (
                      <time class="stamp" dateTime={last.createdAt}>
                        {formatListStamp(last.createdAt)}
                      </time>
                    )}
                  </span>
                  <span class="row-bottom">
                    <span class={`ellipsis preview ${typing ? 'typing-text' : ''}`}>
                      {typing
                        ? 'typing…'
                        : last
                          ? senderPrefix + preview(last.text, last.kind)
                          : 'No messages yet'}
                    </span>
                    {c.unreadCount > 0 && store.hasUnreadMention(c.id) && (
                      <span
                        class="badge mention-badge"
                        aria-label="Unread mention"
                        data-testid="unread-mention"
                      >
                        @
                      </span>
                    )}
                    {c.unreadCount > 0 && (
                      <span
                        class={`badge ${store.isMuted(c.id) ? 'quiet' : ''}`}
                        aria-label={`${c.unreadCount} unread`}
                        data-testid="unread"
                      >
                        {c.unreadCount}
                      </span>
                    )}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {dialog === 'group' && <NewGroupDialog store={store} onClose={() => setDialog(undefined)} />}
      {dialog === 'settings' && (
        <SettingsDialog store={store} onClose={() => setDialog(undefined)} />
      )}
      {dialog === 'notifications' && (
        <NotificationsPanel store={store} onClose={() => setDialog(undefined)} />
      )}
    </aside>
  );
}
