import type { Conversation, User } from '@chat/client';

// Intl without a timeZone option formats in the viewer's own zone (docs/PROTOCOL.md#section-1: clients convert).
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const longDayFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

export function formatTime(iso: string): string {
  return timeFmt.format(new Date(iso));
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/** Conversation-list stamp: a time today, a weekday this week, else a date. */
export function formatListStamp(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return timeFmt.format(d);
  if (now.getTime() - d.getTime() < 6 * 86_400_000) return dayFmt.format(d);
  return dateFmt.format(d);
}

export function formatDay(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return longDayFmt.format(d);
}

export function localDayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function nameOf(user: Pick<User, 'displayName' | 'username'> | undefined): string {
  return user?.displayName || user?.username || 'Unknown';
}

/** The other member of a direct conversation. */
export function peerOf(c: Conversation, meId: string | undefined) {
  return c.type === 'direct' ? c.members.find((m) => m.userId !== meId)?.user : undefined;
}

export function titleOf(c: Conversation, meId: string | undefined): string {
  if (c.type === 'group') return c.title || 'Untitled group';
  return nameOf(peerOf(c, meId));
}

export function lastSeenText(lastSeen: string | undefined): string {
  if (!lastSeen) return 'offline';
  return `last seen ${formatDay(lastSeen).toLowerCase()} at ${formatTime(lastSeen)}`;
}
