import { useEffect, useState } from 'preact/hooks';
import type { User } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import { Avatar } from './avatar.js';
import { nameOf } from './format.js';

/** Username search with a pick button per result; `exclude` hides people already chosen or in the group. */
export function UserPicker(props: {
  store: ChatStore;
  exclude: readonly string[];
  onPick: (user: User) => void;
  label?: string;
}) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<User[]>([]);
  useEffect(() => {
    const q = query.trim().toLowerCase();
    if (!q) {
      setResults([]);
      return;
    }
    const timer = setTimeout(() => {
      props.store.http.searchUsers(q, { limit: 8 }).then(setResults, () => setResults([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [query, props.store]);
  const me = props.store.state.me?.id;
  const visible = results.filter((u) => u.id !== me && !props.exclude.includes(u.id));
  return (
    <div class="picker">
      <input
        type="search"
        placeholder="Search by username"
        aria-label={props.label ?? 'Search people to add'}
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      {query.trim() !== '' && (
        <ul class="picker-results">
          {visible.length === 0 && <li class="muted pad">No one found</li>}
          {visible.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                class="row"
                onClick={() => {
                  props.onPick(u);
                  setQuery('');
                }}
              >
                <Avatar name={nameOf(u)} seed={u.id} size={32} />
                <span class="row-text">
                  <strong>{nameOf(u)}</strong>
                  <span class="muted">@{u.username}</span>
                </span>
                <span class="add-chip">Add</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
