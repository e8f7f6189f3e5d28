import { useState } from 'preact/hooks';
import type { Conversation } from '@chat/client';
import type { ChatStore } from '../state/chat-store.js';
import { Icon } from './icons.js';

const HOUR = 3_600_000;
const CHOICES: ReadonlyArray<{ label: string; until: () => string }> = [
  { label: 'For 1 hour', until: () => new Date(Date.now() + HOUR).toISOString() },
  { label: 'For 8 hours', until: () => new Date(Date.now() + 8 * HOUR).toISOString() },
  { label: 'For 1 week', until: () => new Date(Date.now() + 168 * HOUR).toISOString() },
  { label: 'Until I turn it back on', until: () => 'forever' },
];

/** The chat header's mute button (docs/PROTOCOL.md#section-7). */
export function MuteMenu({
  store,
  conversation: c,
}: {
  store: ChatStore;
  conversation: Conversation;
}) {
  const [open, setOpen] = useState(false);
  const muted = store.isMuted(c.id);
  const choose = (until: string | null) => {
    setOpen(false);
    void store.setMute(c.id, until);
  };
  return (
    <div class="mute-menu">
      <button
        class={`icon-btn ${muted ? 'active' : ''}`}
        aria-label={muted ? 'Muted: change' : 'Mute'}
        title={muted ? 'Muted' : 'Mute notifications'}
        aria-expanded={open}
        data-testid="mute-button"
        onClick={() => setOpen(!open)}
      >
        <Icon name={muted ? 'bellOff' : 'bell'} />
      </button>
      {open && (
        <div class="popover" role="menu">
          {muted ? (
            <button role="menuitem" onClick={() => choose(null)}>
              Unmute
            </button>
          ) : (
            CHOICES.map((x) => (
              <button key={x.label} role="menuitem" onClick={() => choose(x.until())}>
                {x.label}
              </button>
            ))
          )}
        </div>
      )}
    </div>
  );
}
