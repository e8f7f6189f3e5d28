import { useState } from 'preact/hooks';
import type { User } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { nameOf } from './format.js';
import { UserPicker } from './user-picker.js';
import { Icon } from './icons.js';

export function NewGroupDialog({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await store.createGroup(
        title.trim(),
        members.map((m) => m.id),
      );
      onClose();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Group name
          <input
            required
            maxLength={100}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
            placeholder="e.g. Weekend trip"
          />
        </label>
        <div>
          <span class="label">Members</span>
          <div class="chips">
            {members.length === 0 && <span class="muted">Nobody yet — search below.</span>}
            {members.map((m) => (
              <span class="chip" key={m.id}>
                {nameOf(m)}
                <button
                  type="button"
                  aria-label={`Remove ${nameOf(m)}`}
                  onClick={() => setMembers(members.filter((x) => x.id !== m.id))}
                >
                  <Icon name="close" size={12} />
                </button>
              </span>
            ))}
          </div>
          <UserPicker
            store={store}
            exclude={members.map((m) => m.id)}
            onPick={(u) => setMembers([...members, u])}
          />
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={!title.trim()}>
            Create group
          </button>
        </div>
      </form>
    </Dialog>
  );
}
