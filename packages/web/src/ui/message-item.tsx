import { useState } from 'preact/hooks';
import type { Attachment, Conversation, Message } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import { deleteMessage, toggleReaction } from '../state/actions.js';
import type { PendingMessage } from '../state/types.js';
import { formatSize, formatTime, nameOf } from './format.js';
import { Icon } from './icons.js';
import { MessageInfo } from './message-info.js';
import { ImageViewer } from './image-viewer.js';
import { EditHistory } from './edit-history.js';
import { MentionText } from './mention-text.js';

export const QUICK_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

export type Status = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

/**
 * Own-message status from the other members' cursors (docs/PROTOCOL.md#section-3: status is derived): the
 * larger of what the conversation carried when it was loaded (§7, so a reload keeps the ticks)
 * and what live `receipt` events said since.
 */
export function statusOf(store: ChatStore, c: Conversation, m: Message): Status {
  const me = store.state.me?.id;
  const others = c.members.filter((x) => x.userId !== me);
  if (others.length === 0) return 'sent';
  const live = store.state.cursors[c.id] ?? {};
  const read = (o: (typeof others)[number]) => Math.max(live[o.userId]?.readSeq ?? 0, o.readSeq);
  const delivered = (o: (typeof others)[number]) =>
    Math.max(live[o.userId]?.deliveredSeq ?? 0, o.deliveredSeq, read(o));
  if (others.every((o) => read(o) >= m.seq)) return 'read';
  if (others.every((o) => delivered(o) >= m.seq)) return 'delivered';
  return 'sent';
}

const TICKS: Record<Status, { icon: string; label: string }> = {
  pending: { icon: '', label: 'Sending' },
  failed: { icon: '!', label: 'Not sent' },
  sent: { icon: '✓', label: 'Sent' },
  delivered: { icon: '✓✓', label: 'Delivered' },
  read: { icon: '✓✓', label: 'Read' },
};

export function Ticks({ status }: { status: Status }) {
  const t = TICKS[status];
  return (
    <span class={`ticks ${status}`} data-status={status} title={t.label} aria-label={t.label}>
      {status === 'pending' ? <Icon name="clock" size={11} /> : t.icon}
    </span>
  );
}

/**
 * Images open in the page's own viewer, audio and video play inline (the server serves them
 * `inline` with Range support); everything else is a download (served `attachment`).
 */
export function Attachments({ items }: { items: readonly Attachment[] }) {
  const [viewing, setViewing] = useState<Attachment>();
  return (
    <div class="attachments">
      {items.map((a) => {
        if (a.kind === 'image')
          return (
            <button
              key={a.id}
              type="button"
              class="image-link"
              aria-label={`View ${a.name}`}
              onClick={() => setViewing(a)}
            >
              <img src={a.url} alt={a.name} loading="lazy" />
            </button>
          );
        if (a.kind === 'video')
          return (
            <video key={a.id} class="inline-video" src={a.url} controls preload="metadata">
              <a href={a.url} download={a.name}>
                {a.name}
              </a>
            </video>
          );
        if (a.kind === 'audio')
          return (
            <div key={a.id} class="inline-audio">
              <span class="ellipsis muted">{a.name}</span>
              <audio src={a.url} controls preload="metadata" aria-label={a.name} />
            </div>
          );
        return (
          <a key={a.id} href={a.url} download={a.name} class="file-link">
            <span class="file-icon" aria-hidden="true">
              <Icon name="file" size={22} />
            </span>
            <span class="file-meta">
              <span class="ellipsis">{a.name}</span>
              <span class="muted">{formatSize(a.size)}</span>
            </span>
          </a>
        );
      })}
      {viewing && <ImageViewer image={viewing} onClose={() => setViewing(undefined)} />}
    </div>
  );
}

interface ItemProps {
  store: ChatStore;
  conversation: Conversation;
  message: Message;
  showSender: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  onJump: (seq: number) => void;
}

export function MessageItem({
  store,
  conversation,
  message: m,
  showSender,
  onReply,
  onEdit,
  onJump,
}: ItemProps) {
  const me = store.state.me?.id;
  const mine = m.senderId === me;
  const [menu, setMenu] = useState<'react' | 'delete'>();
  const [showInfo, setShowInfo] = useState(false);
  const [showEdits, setShowEdits] = useState(false);
  const myRole = conversation.members.find((x) => x.userId === me)?.role;
  // An owner or admin may take anyone's message down in a group (docs/PROTOCOL.md#section-2).
  const canDeleteForEveryone =
    mine || (conversation.type === 'group' && (myRole === 'owner' || myRole === 'admin'));
  const sender = conversation.members.find((x) => x.userId === m.senderId)?.user;
  const replySender = m.replyTo
    ? nameOf(conversation.members.find((x) => x.userId === m.replyTo?.senderId)?.user)
    : '';
  return (
    <li
      class={`msg ${mine ? 'mine' : 'theirs'} ${m.deleted ? 'deleted' : ''}`}
      data-seq={m.seq}
      data-message-id={m.id}
    >
      <div
        class="bubble"
        tabIndex={0}
        aria-label={`${mine ? 'You' : nameOf(sender)} at ${formatTime(m.createdAt)}`}
      >
        {showSender && !mine && conversation.type === 'group' && (
          <div class="sender">{nameOf(sender)}</div>
        )}
        {m.replyTo && (
          <button class="reply-quote" onClick={() => onJump(m.replyTo!.seq)}>
            <strong>{replySender}</strong>
            <span class="ellipsis">{m.replyTo.text ?? 'Attachment'}</span>
          </button>
        )}
        {m.deleted ? (
          <p class="text muted">
            <Icon name="ban" size={14} /> This message was deleted
          </p>
        ) : (
          <>
            {m.attachments.length > 0 && <Attachments items={m.attachments} />}
            {m.text && (
              <p class="text">
                <MentionText
                  text={m.text}
                  mentions={m.mentions}
                  conversation={conversation}
                  me={me}
                />
              </p>
            )}
          </>
        )}
        <span class="meta">
          {m.editedAt && !m.deleted && (
            <button
              class="edited link"
              title="Show earlier versions"
              aria-label="Edited: show earlier versions"
              onClick={() => setShowEdits(true)}
            >
              edited
            </button>
          )}
          <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
          {mine && !m.deleted && <Ticks status={statusOf(store, conversation, m)} />}
        </span>
        {!m.deleted && (
          <div class="actions" role="toolbar" aria-label="Message actions">
            <button
              aria-label="React"
              title="React"
              onClick={() => setMenu(menu === 'react' ? undefined : 'react')}
            >
              <Icon name="smile" size={17} />
            </button>
            <button aria-label="Reply" title="Reply" onClick={() => onReply(m)}>
              <Icon name="reply" size={17} />
            </button>
            {mine && m.text !== undefined && (
              <button aria-label="Edit" title="Edit" onClick={() => onEdit(m)}>
                <Icon name="edit" size={17} />
              </button>
            )}
            <button
              aria-label="Delete"
              title="Delete"
              onClick={() => setMenu(menu === 'delete' ? undefined : 'delete')}
            >
              <Icon name="trash" size={17} />
            </button>
            {mine && conversation.type === 'group' && (
              <button aria-label="Info" title="Read by" onClick={() => setShowInfo(true)}>
                <Icon name="info" size={17} />
              </button>
            )}
          </div>
        )}
        {showEdits && <EditHistory store={store} message={m} onClose={() => setShowEdits(false)} />}
        {showInfo && (
          <MessageInfo
            store={store}
            conversation={conversation}
            message={m}
            onClose={() => setShowInfo(false)}
          />
        )}
        {menu === 'react' && (
          <div class="popover emoji-picker" role="menu">
            {QUICK_EMOJI.map((e) => (
              <button
                key={e}
                role="menuitem"
                aria-label={`React ${e}`}
                onClick={() => {
                  setMenu(undefined);
                  void toggleReaction(store, m, e);
                }}
              >
                {e}
              </button>
            ))}
          </div>
        )}
        {menu === 'delete' && (
          <div class="popover delete-menu" role="menu">
            <button
              role="menuitem"
              onClick={() => {
                setMenu(undefined);
                void deleteMessage(store, m, 'me');
              }}
            >
              Delete for me
            </button>
            {canDeleteForEveryone && (
              <button
                role="menuitem"
                class="danger"
                onClick={() => {
                  setMenu(undefined);
                  void deleteMessage(store, m, 'everyone');
                }}
              >
                Delete for everyone
              </button>
            )}
          </div>
        )}
      </div>
      {m.reactions.length > 0 && !m.deleted && (
        <div class="reactions">
          {m.reactions.map((r) => (
            <button
              key={r.emoji}
              class={`reaction ${me && r.userIds.includes(me) ? 'own' : ''}`}
              aria-label={`${r.emoji} ${r.count}`}
              onClick={() => void toggleReaction(store, m, r.emoji)}
            >
              {r.emoji} <span>{r.count}</span>
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

export function PendingItem({
  pending,
  onRetry,
  onDiscard,
}: {
  pending: PendingMessage;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  return (
    <li class="msg mine pending" data-client-msg-id={pending.clientMsgId}>
      <div class="bubble">
        {pending.attachments.length > 0 && <Attachments items={pending.attachments} />}
        {pending.text && <p class="text">{pending.text}</p>}
        <span class="meta">
          <time dateTime={pending.createdAt}>{formatTime(pending.createdAt)}</time>
          <Ticks status={pending.status} />
        </span>
        {pending.status === 'failed' && (
          <div class="failed-bar">
            {pending.error ?? 'Not sent'} ·{' '}
            <button class="link" onClick={onRetry}>
              Retry
            </button>{' '}
            ·{' '}
            <button class="link" onClick={onDiscard}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
