import { useEffect, useState } from 'preact/hooks';
import type { Conversation, Message, MessageReceiptsResponse } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { formatListStamp, formatTime, nameOf } from './format.js';

/** "Read by" of a group message (GET …/receipts, PROTOCOL §7). */
export function MessageInfo(props: {
  store: ChatStore;
  conversation: Conversation;
  message: Message;
  onClose: () => void;
}) {
  const { store, conversation, message } = props;
  const [info, setInfo] = useState<MessageReceiptsResponse>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    store.http
      .messageReceipts(conversation.id, message.id)
      .then(setInfo, (err: unknown) => setError(describeError(err)));
  }, [store, conversation.id, message.id]);
  const name = (userId: string) =>
    nameOf(conversation.members.find((m) => m.userId === userId)?.user);
  const readers = new Set(info?.readBy.map((r) => r.userId));
  const deliveredOnly = info?.deliveredTo.filter((d) => !readers.has(d.userId)) ?? [];
  // Today the list stamp already is the time; other days it is the date, so add the time.
  const stamp = (iso: string) => {
    const day = formatListStamp(iso);
    const time = formatTime(iso);
    return day === time ? time : `${day} ${time}`;
  };
  return (
    <Dialog title="Message info" onClose={props.onClose}>
      <div class="settings-section">
        <p class="info-quote ellipsis">{message.text ?? 'Attachment'}</p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {!info && !error && <p class="muted">Loading…</p>}
        {info && (
          <>
            <h3>Read by</h3>
            <ul class="receipts" aria-label="Read by">
              {info.readBy.length === 0 && <li class="muted">No one yet</li>}
              {info.readBy.map((r) => (
                <li key={r.userId}>
                  <strong>{name(r.userId)}</strong>{' '}
                  <time class="muted" dateTime={r.at}>
                    {stamp(r.at)}
                  </time>
                </li>
              ))}
            </ul>
            <h3>Delivered to</h3>
            <ul class="receipts" aria-label="Delivered to">
              {deliveredOnly.length === 0 && <li class="muted">—</li>}
              {deliveredOnly.map((r) => (
                <li key={r.userId}>
                  <strong>{name(r.userId)}</strong>{' '}
                  <time class="muted" dateTime={r.at}>
                    {stamp(r.at)}
                  </time>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </Dialog>
  );
}
