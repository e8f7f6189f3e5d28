import { useEffect, useReducer, useState } from 'preact/hooks';
import type { ChatStore } from '../state/chat-store.js';
import { ChatView } from './chat-view.js';
import { Login } from './login.js';
import { Sidebar } from './sidebar.js';
import { Icon } from './icons.js';

function useStore(store: ChatStore): void {
  const [, rerender] = useReducer((n: number, _: undefined) => n + 1, 0);
  useEffect(() => store.subscribe(() => rerender(undefined)), [store]);
}

export function App({ store }: { store: ChatStore }) {
  useStore(store);
  const [booting, setBooting] = useState(true);
  useEffect(() => {
    void store.resume().finally(() => setBooting(false));
  }, [store]);
  const s = store.state;
  if (booting) return <div class="boot" aria-busy="true" />;
  if (!s.me) return <Login store={store} />;
  const reconnecting = s.connection === 'reconnecting' || s.connection === 'connecting';
  return (
    <div class={`shell ${s.activeId ? 'has-active' : ''}`}>
      {reconnecting && (
        <div class="banner" role="status" aria-live="polite" data-testid="reconnecting">
          <span class="spinner" aria-hidden="true" />{' '}
          {s.connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </div>
      )}
      <Sidebar store={store} />
      <main class="main">
        {s.activeId && s.conversations[s.activeId] ? (
          <ChatView key={s.activeId} store={store} conversation={s.conversations[s.activeId]!} />
        ) : (
          <div class="empty-main">
            <div class="empty-illustration" aria-hidden="true">
              <Icon name="chat" size={48} />
            </div>
            <h2>Your messages</h2>
            <p>Pick a conversation, or find someone by username to start chatting.</p>
          </div>
        )}
      </main>
      {s.toast && (
        <div class="toast" role="alert">
          {s.toast}
        </div>
      )}
    </div>
  );
}
