import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Conversation, Message } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import {
  createTypingNotifier,
  editMessage,
  sendMessage,
  stageUploads,
  unstageUpload,
} from '../state/actions.js';
import { loadDraft, saveDraft } from '../state/drafts.js';
import { formatSize, nameOf } from './format.js';
import { Icon } from './icons.js';
import { MentionPicker } from './mention-picker.js';
import { insertMention, mentionAt, suggestMembers } from './mention-query.js';

interface Props {
  store: ChatStore;
  conversation: Conversation;
  replyTo?: Message;
  editing?: Message;
  onDone: () => void;
}

export function Composer({ store, conversation, replyTo, editing, onDone }: Props) {
  const me = store.state.me?.id ?? '';
  // The chat view is keyed by conversation, so this runs once per opened chat.
  const [text, setText] = useState(() => loadDraft(me, conversation.id));
  const input = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const typing = useMemo(
    () => createTypingNotifier(store, conversation.id),
    [store, conversation.id],
  );
  const uploads = store.state.uploads[conversation.id] ?? [];
  // Mention autocomplete: where the caret is, and which suggestion the arrow keys are on.
  const [caret, setCaret] = useState<number>();
  const [picked, setPicked] = useState(0);
  const [dismissed, setDismissed] = useState<number>();
  const typedMention = caret === undefined ? undefined : mentionAt(text, caret);
  const suggestions =
    typedMention && typedMention.start !== dismissed
      ? suggestMembers(conversation, me, typedMention.query)
      : [];
  const pick = (username: string) => {
    if (!typedMention || caret === undefined) return;
    const next = insertMention(text, caret, typedMention, username);
    // The box gets its new text and caret now, in this key handler: a caret placed after the
    // render would land behind the keys typed in between (a fast typist's next letters
    // ended up after the mention's caret, out of order). The render then finds the same value.
    const el = input.current;
    if (el) {
      el.value = next.text;
      el.setSelectionRange(next.caret, next.caret);
    }
    setText(next.text);
    setCaret(next.caret);
    setPicked(0);
  };
  useEffect(() => () => typing.stop(), [typing]);
  // An edit borrows the box; the draft is what the box holds otherwise.
  useEffect(() => {
    if (!editing) saveDraft(me, conversation.id, text);
  }, [text, editing, me, conversation.id]);
  // A layout effect, not an effect: Preact runs effects after the paint, so keys typed as
  // soon as "Editing message" shows would be overwritten by the message's text.
  useLayoutEffect(() => {
    if (editing) setText(editing.text ?? '');
    if (editing || replyTo) input.current?.focus();
  }, [editing, replyTo]);
  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  const submit = () => {
    typing.stop();
    if (editing) void editMessage(store, editing, text);
    else
      void sendMessage(
        store,
        conversation.id,
        text,
        replyTo
          ? {
              id: replyTo.id,
              seq: replyTo.seq,
              senderId: replyTo.senderId,
              ...(replyTo.text ? { text: replyTo.text } : {}),
            }
          : undefined,
      );
    setText(editing ? loadDraft(me, conversation.id) : '');
    onDone();
  };

  /** Leaving an edit brings the draft back; leaving a reply clears the box as before. */
  const cancel = () => {
    setText(editing ? loadDraft(me, conversation.id) : '');
    onDone();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (suggestions.length > 0 && !e.isComposing) {
      const n = suggestions.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setPicked((i) => (i + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        const m = suggestions[Math.min(picked, n - 1)];
        if (m) pick(m.user.username);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(typedMention?.start);
        return;
      }
    }
    // Enter sends, Shift+Enter is a new line; IME composition must not send half a word.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && (editing || replyTo)) {
      cancel();
    }
  };

  const context = editing
    ? { label: 'Editing message', text: editing.text }
    : replyTo
      ? {
          label: `Replying to ${nameOf(conversation.members.find((m) => m.userId === replyTo.senderId)?.user)}`,
          text: replyTo.text ?? 'Attachment',
        }
      : undefined;

  return (
    <footer class="composer">
      {context && (
        <div class="context-bar">
          <div class="ellipsis">
            <strong>{context.label}</strong> <span class="muted">{context.text}</span>
          </div>
          <button class="icon-btn" aria-label="Cancel" onClick={cancel}>
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {suggestions.length > 0 && (
        <MentionPicker
          members={suggestions}
          selected={Math.min(picked, suggestions.length - 1)}
          onPick={(m) => pick(m.user.username)}
        />
      )}
      {uploads.length > 0 && (
        <ul class="staged" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.localId} class={`staged-item ${u.error ? 'error' : ''}`}>
              {u.previewUrl ? (
                <img src={u.previewUrl} alt="" />
              ) : (
                <span class="file-icon" aria-hidden="true">
                  <Icon name="file" size={22} />
                </span>
              )}
              <span class="staged-meta">
                <span class="ellipsis">{u.name}</span>
                <span class="muted">
                  {u.error ??
                    (u.attachment ? formatSize(u.size) : `${Math.round(u.progress * 100)}%`)}
                </span>
                {!u.attachment && !u.error && (
                  <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
                )}
              </span>
              <button
                class="icon-btn"
                aria-label={`Remove ${u.name}`}
                onClick={() => unstageUpload(store, conversation.id, u.localId)}
              >
                <Icon name="close" size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <button
          class="icon-btn attach"
          aria-label="Attach files"
          title="Attach files"
          onClick={() => file.current?.click()}
          disabled={!!editing}
        >
          <Icon name="clip" />
        </button>
        <input
          ref={file}
          type="file"
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          data-testid="file-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            stageUploads(store, conversation.id, files);
          }}
        />
        <textarea
          ref={input}
          rows={1}
          placeholder="Write a message…"
          aria-label="Message"
          value={text}
          maxLength={4000}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setCaret(e.currentTarget.selectionStart);
            setPicked(0);
            typing.input();
          }}
          onKeyUp={(e) => {
            // Arrow keys and Home/End move the caret without an input event.
            if (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End')
              setCaret(e.currentTarget.selectionStart);
          }}
          onClick={(e) => setCaret(e.currentTarget.selectionStart)}
          onBlur={() => setCaret(undefined)}
          aria-autocomplete="list"
          onKeyDown={onKeyDown}
        />
        <button
          class="send-btn"
          aria-label={editing ? 'Save edit' : 'Send'}
          onClick={submit}
          disabled={!text.trim() && uploads.every((u) => !u.attachment)}
        >
          <Icon name={editing ? 'check' : 'send'} size={18} />
        </button>
      </div>
    </footer>
  );
}
