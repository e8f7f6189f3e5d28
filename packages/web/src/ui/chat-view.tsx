import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Conversation, Message } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import { deliverPending, discardPending } from '../state/actions.js';
import { Avatar } from './avatar.js';
import { Composer } from './composer.js';
import { formatDay, lastSeenText, localDayKey, nameOf, peerOf, titleOf } from './format.js';
import { GroupPanel } from './group-panel.js';
import { MessageItem, PendingItem } from './message-item.js';
import { Icon } from './icons.js';
import { MuteMenu } from './mute-menu.js';
import { SystemLine } from './system-line.js';

const LOAD_MORE_PX = 150;
const NEAR_BOTTOM_PX = 120;

function typingLine(store: ChatStore, c: Conversation): string | undefined {
  const me = store.state.me?.id;
  const ids = Object.keys(store.state.typing[c.id] ?? {}).filter((id) => id !== me);
  if (ids.length === 0) return undefined;
  const names = ids.map((id) => nameOf(c.members.find((m) => m.userId === id)?.user).split(' ')[0]);
  if (c.type === 'direct') return 'typing…';
  return names.length === 1 ? `${names[0]} is typing…` : `${names.length} people are typing…`;
}

/**
 * "5 members, 2 online": from the presence the client already holds (one `presence:query` when a
 * conversation shows new people, then the `presence` events between people who share a chat).
 */
function groupSubtitle(store: ChatStore, c: Conversation): string {
  const me = store.state.me?.id;
  const online = c.members.filter((m) =>
    m.userId === me
      ? store.state.connection === 'connected'
      : (store.state.presence[m.userId]?.online ?? false),
  ).length;
  return `${c.members.length} members, ${online} online`;
}

export function ChatView({
  store,
  conversation: c,
}: {
  store: ChatStore;
  conversation: Conversation;
}) {
  const s = store.state;
  const me = s.me?.id;
  const list = s.messages[c.id];
  const items = list?.items ?? [];
  const pending = s.pending[c.id] ?? [];
  const [replyTo, setReplyTo] = useState<Message>();
  const [editing, setEditing] = useState<Message>();
  const [panel, setPanel] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const layout = useRef({
    firstSeq: undefined as number | undefined,
    height: 0,
    atBottom: true,
    count: 0,
  });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = layout.current;
    const firstSeq = items[0]?.seq;
    const count = items.length + pending.length;
    if (prev.firstSeq !== undefined && firstSeq !== undefined && firstSeq < prev.firstSeq) {
      // Older page prepended: keep the same messages under the reader's eyes.
      el.scrollTop += el.scrollHeight - prev.height;
    } else if (prev.atBottom && count !== prev.count) {
      el.scrollTop = el.scrollHeight;
    }
    layout.current = { ...prev, firstSeq, height: el.scrollHeight, count };
    if (list?.hasMore && !list.loading && el.scrollHeight <= el.clientHeight)
      void store.loadOlder(c.id);
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    layout.current.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (el.scrollTop < LOAD_MORE_PX && list?.hasMore && !list.loading) void store.loadOlder(c.id);
  };

  const jump = (seq: number) => {
    scroller.current
      ?.querySelector(`[data-seq="${seq}"] .bubble`)
      ?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };

  // A search hit: scroll to it once it is rendered, flash it, then forget it.
  const highlight = s.highlight?.conversationId === c.id ? s.highlight.seq : undefined;
  useEffect(() => {
    if (highlight === undefined) return;
    const el = scroller.current?.querySelector(`li.msg[data-seq="${highlight}"]`);
    if (!el) return;
    layout.current.atBottom = false; // keep the reader at the hit, not the newest message
    el.scrollIntoView({ block: 'center' });
    el.classList.add('highlight');
    const timer = setTimeout(() => {
      el.classList.remove('highlight');
      store.set({ highlight: undefined });
    }, 2500);
    return () => clearTimeout(timer);
  }, [highlight, items.length, store]);

  const peer = peerOf(c, me);
  const presence = peer ? s.presence[peer.id] : undefined;
  const typing = typingLine(store, c);
  const subtitle =
    typing ??
    (peer
      ? presence?.online
        ? 'online'
        : lastSeenText(presence?.lastSeen)
      : groupSubtitle(store, c));
  const blocked = peer ? store.isBlocked(peer.id) : false;

  let lastDay = '';
  let lastSender = '';
  return (
    <section class="chat" aria-label={titleOf(c, me)}>
      <header class="chat-head">
        <button
          class="icon-btn back"
          aria-label="Back to conversations"
          onClick={() => store.open(undefined)}
        >
          <Icon name="back" />
        </button>
        <Avatar
          name={titleOf(c, me)}
          seed={peer?.id ?? c.id}
          url={peer?.avatarUrl ?? c.avatarUrl}
          size={40}
          online={peer ? (presence?.online ?? false) : undefined}
          group={c.type === 'group'}
        />
        <div class="chat-title">
          <h2 class="ellipsis">{titleOf(c, me)}</h2>
          <span class={`muted ${typing ? 'typing-text' : ''}`} data-testid="chat-subtitle">
            {subtitle}
          </span>
        </div>
        <MuteMenu store={store} conversation={c} />
        {peer && (
          <button
            class={`icon-btn ${blocked ? 'on' : ''}`}
            aria-label={blocked ? `Unblock ${nameOf(peer)}` : `Block ${nameOf(peer)}`}
            title={blocked ? 'Unblock' : 'Block'}
            aria-pressed={blocked}
            onClick={() => void store.setBlocked(peer.id, !blocked)}
          >
            <Icon name="ban" />
          </button>
        )}
        {c.type === 'group' && (
          <button
            class="icon-btn"
            aria-label="Group info"
            title="Group info"
            onClick={() => setPanel(true)}
          >
            <Icon name="info" />
          </button>
        )}
      </header>
      <div
        class="messages"
        ref={scroller}
        onScroll={onScroll}
        onLoadCapture={() =>
          layout.current.atBottom &&
          scroller.current &&
          (scroller.current.scrollTop = scroller.current.scrollHeight)
        }
      >
        {list?.loading && (
          <div class="loading-more" role="status">
            Loading earlier messages…
          </div>
        )}
        {list && !list.hasMore && list.loaded && (
          <div class="history-start">This is the beginning of the conversation</div>
        )}
        <ol class="message-list" role="log" aria-live="polite" aria-label="Messages">
          {items.map((m) => {
            const day = localDayKey(m.createdAt);
            const showDay = day !== lastDay;
            const showSender = showDay || m.senderId !== lastSender;
            lastDay = day;
            // After a system line the next message names its sender again.
            lastSender = m.kind === 'system' ? '' : m.senderId;
            return [
              showDay && (
                <li key={`day-${day}`} class="day-sep" role="separator">
                  <span>{formatDay(m.createdAt)}</span>
                </li>
              ),
              m.kind === 'system' ? (
                <SystemLine key={m.id} conversation={c} message={m} me={me} />
              ) : (
                <MessageItem
                  key={m.id}
                  store={store}
                  conversation={c}
                  message={m}
                  showSender={showSender}
                  onReply={(x) => {
                    setEditing(undefined);
                    setReplyTo(x);
                  }}
                  onEdit={(x) => {
                    setReplyTo(undefined);
                    setEditing(x);
                  }}
                  onJump={jump}
                />
              ),
            ];
          })}
          {pending.map((p) => (
            <PendingItem
              key={p.clientMsgId}
              pending={p}
              onRetry={() => void deliverPending(store, p)}
              onDiscard={() => discardPending(store, p)}
            />
          ))}
        </ol>
        {typing && (
          <div class="typing-indicator" data-testid="typing" aria-live="polite">
            <span class="dots" aria-hidden="true">
              <i />
              <i />
              <i />
            </span>{' '}
            {typing}
          </div>
        )}
      </div>
      {blocked && peer ? (
        <div class="blocked-notice" role="status" data-testid="blocked-notice">
          You blocked {nameOf(peer)}. Neither of you can send messages in this chat until you
          unblock.{' '}
          <button class="link" onClick={() => void store.setBlocked(peer.id, false)}>
            Unblock
          </button>
        </div>
      ) : (
        <Composer
          store={store}
          conversation={c}
          replyTo={replyTo}
          editing={editing}
          onDone={() => {
            setReplyTo(undefined);
            setEditing(undefined);
          }}
        />
      )}
      {panel && <GroupPanel store={store} conversation={c} onClose={() => setPanel(false)} />}
    </section>
  );
}
