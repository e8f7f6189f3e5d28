import { useState } from 'preact/hooks';
import type { Conversation } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Avatar } from './avatar.js';
import { Dialog } from './dialog.js';
import { nameOf } from './format.js';
import { PhotoInput } from './photo-input.js';
import { UserPicker } from './user-picker.js';

export function GroupPanel({
  store,
  conversation: c,
  onClose,
}: {
  store: ChatStore;
  conversation: Conversation;
  onClose: () => void;
}) {
  const me = store.state.me?.id;
  const myRole = c.members.find((m) => m.userId === me)?.role;
  const canManage = myRole === 'owner' || myRole === 'admin';
  const isOwner = myRole === 'owner';
  const [confirmClose, setConfirmClose] = useState(false);
  const [title, setTitle] = useState(c.title ?? '');
  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (err) {
      store.toast(describeError(err));
    }
  };
  const rename = (e: Event) => {
    e.preventDefault();
    if (title.trim() && title.trim() !== c.title)
      void run(async () =>
        store.upsertConversation(await store.http.patchConversation(c.id, { title: title.trim() })),
      );
  };
  /** docs/PROTOCOL.md#section-7 (group photo): the caller's own image upload, or null to remove it. */
  const setPhoto = (photo: File | null) =>
    void run(async () => {
      const patch = photo
        ? { avatarAttachmentId: (await store.http.upload(photo)).id }
        : { avatarUrl: null };
      store.upsertConversation(await store.http.patchConversation(c.id, patch));
    });
  return (
    <Dialog title="Group info" onClose={onClose}>
      <div class="profile-row">
        <Avatar name={c.title ?? ''} seed={c.id} size={56} url={c.avatarUrl} group />
        {canManage && <PhotoInput name="groupPhoto" onPick={setPhoto} />}
        {canManage && c.avatarUrl && (
          <button type="button" class="btn small" onClick={() => setPhoto(null)}>
            Remove photo
          </button>
        )}
      </div>
      <form class="inline-form" onSubmit={rename}>
        <label class="grow">
          Group name
          <input
            value={title}
            maxLength={100}
            disabled={!canManage}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </label>
        {canManage && (
          <button
            class="btn primary"
            type="submit"
            disabled={!title.trim() || title.trim() === c.title}
          >
            Rename
          </button>
        )}
      </form>
      <h3 class="section-title">{c.members.length} members</h3>
      <ul class="members">
        {c.members.map((m) => (
          <li key={m.userId} class="row static">
            <Avatar
              name={nameOf(m.user)}
              seed={m.userId}
              size={32}
              online={
                m.userId === me
                  ? store.state.connection === 'connected'
                  : (store.state.presence[m.userId]?.online ?? false)
              }
            />
            <span class="row-text">
              <strong>
                {nameOf(m.user)}
                {m.userId === me ? ' (you)' : ''}
              </strong>
              <span class="muted">@{m.user.username}</span>
            </span>
            <span class="member-actions">
              {m.role !== 'member' && <span class="role">{m.role}</span>}
              {isOwner && m.userId !== me && m.role !== 'owner' && (
                <button
                  class="btn small"
                  aria-label={`${m.role === 'admin' ? 'Remove admin' : 'Make admin'} ${nameOf(m.user)}`}
                  onClick={() =>
                    void run(() =>
                      store.setRole(c.id, m.userId, m.role === 'admin' ? 'member' : 'admin'),
                    )
                  }
                >
                  {m.role === 'admin' ? 'Remove admin' : 'Make admin'}
                </button>
              )}
              {canManage && m.userId !== me && m.role !== 'owner' && (
                <button
                  class="btn small"
                  aria-label={`Remove ${nameOf(m.user)}`}
                  onClick={() =>
                    void run(() =>
                      store.http
                        .removeMember(c.id, m.userId)
                        .then(async () =>
                          store.upsertConversation(await store.http.getConversation(c.id)),
                        ),
                    )
                  }
                >
                  Remove
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {canManage && (
        <>
          <h3 class="section-title">Add members</h3>
          <UserPicker
            store={store}
            exclude={c.members.map((m) => m.userId)}
            onPick={(u) =>
              void run(async () =>
                store.upsertConversation(await store.http.addMembers(c.id, [u.id])),
              )
            }
          />
        </>
      )}
      <div class="dialog-actions">
        {isOwner &&
          (confirmClose ? (
            <span class="confirm" role="group" aria-label="Close the group?">
              <span class="muted">Close it for everyone?</span>
              <button
                class="btn danger"
                onClick={() =>
                  void run(async () => {
                    await store.closeGroup(c.id);
                    onClose();
                  })
                }
              >
                Yes, close group
              </button>
              <button class="btn" onClick={() => setConfirmClose(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button class="btn danger" onClick={() => setConfirmClose(true)}>
              Close group
            </button>
          ))}
        <button
          class="btn danger"
          onClick={() =>
            void run(async () => {
              await store.http.removeMember(c.id, me ?? '');
              store.removeConversation(c.id);
              onClose();
            })
          }
        >
          Leave group
        </button>
      </div>
    </Dialog>
  );
}
