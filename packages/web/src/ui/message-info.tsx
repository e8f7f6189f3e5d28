import { useEffect, useState } from 'preact/hooks';
import type { Conversation, Message, MessageReceiptsResponse, ReceiptEntry } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { formatListStamp, formatTime, nameOf } from './format.js';

/** "Read by" of a group message (GET …/receipts, docs/PROTOCOL.md#section-7). */
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
  return (
    <Dialog title="Message info" onClose={props.onClose}>
      <div class="settings-section">
        <p class="info-quote ellipsis">{message.text ?? 'Attachment'}</p>
        <LoadStatus error={error} loaded={!!info} />
        {info && (
          <>
            <h3>Read by</h3>
            <ReceiptList label="Read by" entries={info.readBy} empty="No one yet" name={name} />
            <h3>Delivered to</h3>
            <ReceiptList label="Delivered to" entries={deliveredOnly} empty="—" name={name} />
          </>
        )}
      </div>
    </Dialog>
  );
}

/** A dialog's fetch: its error, or "Loading…" until it answered. */
export function LoadStatus({ error, loaded }: { error: string | undefined; loaded: boolean }) {
  if (error)
    return (
      <p class="form-error" role="alert">
        {error}
      </p>
    );
  return loaded ? null : <p class="muted">Loading…</p>;
}

// Today the list stamp already is the time; other days it is the date, so add the time.
export function stamp(iso: string): string {
  const day = formatListStamp(iso);
  const time = formatTime(iso);
  return day === time ? time : `${day} ${time}`;
}

function ReceiptList(props: {
  label: string;
  entries: readonly ReceiptEntry[];
  empty: string;
  name: (userId: string) => string;
}) {
  return (
    <ul class="receipts" aria-label={props.label}>
      {props.entries.length === 0 && <li class="muted">{props.empty}</li>}
      {props.entries.map((r) => (
        <li key={r.userId}>
          <strong>{props.name(r.userId)}</strong>{' '}
          <time class="muted" dateTime={r.at}>
            {stamp(r.at)}
          </time>
        </li>
      ))}
    </ul>
  );
}
