import type { Conversation, Message } from '@chat/client';

/**
 * What tells a person that a message arrived while they were not looking: the tab
 * title count, a desktop notification and a short sound. A muted conversation raises none of
 * them (docs/PROTOCOL.md#section-7) and does not count in the title.
 */
const SOUND_KEY = 'chat.sound';
const TITLE = 'Chat';

export function isMuted(c: Conversation | undefined, now = Date.now()): boolean {
  const until = c?.mutedUntil;
  if (!until) return false;
  return until === 'forever' || Date.parse(until) > now;
}

/** `(3) Chat`: unread messages of conversations that are not muted. */
export function titleFor(conversations: Record<string, Conversation>): string {
  let unread = 0;
  for (const c of Object.values(conversations)) if (!isMuted(c)) unread += c.unreadCount;
  return unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${TITLE}` : TITLE;
}

export function soundEnabled(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundEnabled(on: boolean): void {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // storage disabled: the setting lasts for this page only
  }
}

let audio: AudioContext | undefined;
/** Per conversation: a burst (a bot posting 100 messages) chimes once, not 100 times. */
const lastChime = new Map<string, number>();
const CHIME_GAP_MS = 1500;

/** A 120 ms two-tone chime made on the spot: no audio file to fetch, cache or license. */
export function chime(conversationId = ''): void {
  const now = Date.now();
  if (now - (lastChime.get(conversationId) ?? 0) < CHIME_GAP_MS) return;
  lastChime.set(conversationId, now);
  try {
    audio ??= new AudioContext();
    const at = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at + i * 0.06);
      gain.gain.exponentialRampToValueAtTime(0.15, at + i * 0.06 + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + i * 0.06 + 0.12);
      osc.connect(gain).connect(audio.destination);
      osc.start(at + i * 0.06);
      osc.stop(at + i * 0.06 + 0.13);
    }
  } catch {
    // No audio device, or autoplay refused before any gesture: stay silent.
  }
}

/**
 * Asked once, on a gesture of the person (their first send, or the settings toggle), never on
 * page load: browsers ignore or penalise prompts nobody asked for.
 */
export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  void Notification.requestPermission().catch(() => undefined);
}

export function notificationsAllowed(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

export interface AlertContext {
  conversation: Conversation;
  /** Who sent it, as the list shows them. */
  senderName: string;
  title: string;
  /** The message names this user: it alerts even in a muted chat (docs/PROTOCOL.md#section-7). */
  mentionsMe: boolean;
  onOpen: () => void;
}

/** The alert for one incoming message, if any is due. */
export function alertFor(
  m: Message,
  ctx: AlertContext,
  state: { activeId: string | undefined; hidden: boolean },
): void {
  if (isMuted(ctx.conversation) && !ctx.mentionsMe) return;
  const elsewhere = m.conversationId !== state.activeId;
  if (!state.hidden && !elsewhere) return; // they are looking at it
  if (soundEnabled()) chime(m.conversationId);
  // Desktop notifications only while the tab is hidden, for the chats other than the open one.
  if (!state.hidden || !elsewhere || !notificationsAllowed()) return;
  const body = m.text ?? (m.attachments.length > 0 ? 'Sent an attachment' : '');
  try {
    const n = new Notification(ctx.title, {
      body: ctx.conversation.type === 'group' ? `${ctx.senderName}: ${body}` : body,
      tag: m.conversationId, // one per chat: a burst replaces, not stacks
    });
    n.onclick = () => {
      window.focus();
      ctx.onOpen();
      n.close();
    };
  } catch {
    // Some platforms allow notifications only from a service worker: the title still counts.
  }
}
