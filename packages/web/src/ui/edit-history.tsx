import { useEffect, useState } from 'preact/hooks';
import type { Message, MessageEdit } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { LoadStatus, stamp } from './message-info.js';

/** The earlier versions of an edited message (GET /api/messages/:id/edits, docs/PROTOCOL.md#section-7). */
export function EditHistory(props: { store: ChatStore; message: Message; onClose: () => void }) {
  const { store, message } = props;
  const [edits, setEdits] = useState<MessageEdit[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    store.http
      .messageEdits(message.id)
      .then(setEdits, (err: unknown) => setError(describeError(err)));
  }, [store, message.id]);
  return (
    <Dialog title="Edit history" onClose={props.onClose}>
      <div class="settings-section">
        <h3>Now</h3>
        <p class="info-quote">{message.text}</p>
        <LoadStatus error={error} loaded={!!edits} />
        {edits && (
          <>
            <h3>Earlier versions</h3>
            <ol class="receipts edit-list" aria-label="Earlier versions" reversed>
              {edits.length === 0 && <li class="muted">None kept</li>}
              {/* Newest first: the version just before the current text is the one people look for. */}
              {[...edits].reverse().map((e) => (
                <li key={e.editedAt}>
                  <span class="edit-text">{e.text}</span>{' '}
                  <time class="muted" dateTime={e.editedAt}>
                    {stamp(e.editedAt)}
                  </time>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </Dialog>
  );
}
