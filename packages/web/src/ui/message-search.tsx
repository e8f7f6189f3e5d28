import { useEffect, useState } from 'preact/hooks';
import type { SearchResult } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { formatListStamp, nameOf, titleOf } from './format.js';

/** Debounced `GET /api/search` (docs/PROTOCOL.md#section-7). */
function useMessageSearch(store: ChatStore, query: string) {
  const [state, setState] = useState<{ results: SearchResult[]; error?: string; busy: boolean }>({
    results: [],
    busy: false,
  });
  useEffect(() => {
    const q = query.trim();
    if (q.length < 2) {
      setState({ results: [], busy: false });
      return;
    }
    setState((s) => ({ ...s, busy: true }));
    let current = true;
    const timer = setTimeout(() => {
      store.http.search(q, { limit: 20 }).then(
        (res) => current && setState({ results: res.results, busy: false }),
        (err: unknown) =>
          current && setState({ results: [], busy: false, error: describeError(err) }),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, store]);
  return state;
}

export function MessageSearch({ store }: { store: ChatStore }) {
  const [query, setQuery] = useState('');
  const { results, error, busy } = useMessageSearch(store, query);
  const me = store.state.me?.id;
  return (
    <div class="message-search">
      <div class="search">
        <input
          type="search"
          placeholder="Search messages"
          aria-label="Search messages"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
        />
      </div>
      {query.trim().length >= 2 && (
        <ul class="search-results" aria-label="Messages found" aria-busy={busy}>
          {error && <li class="form-error pad">{error}</li>}
          {!busy && !error && results.length === 0 && <li class="muted pad">No messages found</li>}
          {results.map(({ message: m, conversationId }) => {
            const c = store.state.conversations[conversationId];
            const sender = c?.members.find((x) => x.userId === m.senderId)?.user;
            return (
              <li key={m.id}>
                <button
                  class="row hit"
                  data-hit={m.id}
                  onClick={() => {
                    setQuery('');
                    void store
                      .jumpTo(conversationId, m.seq)
                      .catch((err: unknown) => store.toast(describeError(err)));
                  }}
                >
                  <span class="row-text">
                    <span class="row-top">
                      <strong class="ellipsis">{c ? titleOf(c, me) : 'Conversation'}</strong>
                      <time class="stamp" dateTime={m.createdAt}>
                        {formatListStamp(m.createdAt)}
                      </time>
                    </span>
                    <span class="ellipsis preview">
                      {m.senderId === me ? 'You' : nameOf(sender)}: {m.text ?? 'Attachment'}
                    </span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
