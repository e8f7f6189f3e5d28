import type { Conversation } from '@chat/client';
import { Linkified } from './linkify.js';

/** `@username` tokens; the server resolved the ones that name members into `mentions`. */
const MENTION = /@([A-Za-z0-9_.-]+)/g;

/**
 * Message text with its resolved mentions highlighted (a mention of the viewer stronger), and
 * its links clickable. Only names the server resolved are marked: `@someone` of a non-member
 * stays plain text.
 */
export function MentionText(props: {
  text: string;
  mentions: readonly string[] | undefined;
  conversation: Conversation;
  me: string | undefined;
}) {
  const { text, mentions } = props;
  if (!mentions || mentions.length === 0) return <Linkified text={text} />;
  const byName = new Map<string, string>();
  for (const m of props.conversation.members)
    if (mentions.includes(m.userId)) byName.set(m.user.username.toLowerCase(), m.userId);
  const parts: preact.ComponentChildren[] = [];
  let at = 0;
  for (const match of text.matchAll(MENTION)) {
    // "thanks @ann." names ann: the server also tries a name without its trailing '.'/'-'.
    const full = (match[1] ?? '').toLowerCase();
    const name = byName.has(full) ? full : full.replace(/[.-]+$/, '');
    const userId = byName.get(name);
    if (!userId) continue;
    const start = match.index;
    const token = `@${(match[1] ?? '').slice(0, name.length)}`;
    if (start > at) parts.push(<Linkified key={`t${at}`} text={text.slice(at, start)} />);
    parts.push(
      <mark key={`m${start}`} class={`mention ${userId === props.me ? 'me' : ''}`}>
        {token}
      </mark>,
    );
    at = start + token.length;
  }
  if (at < text.length) parts.push(<Linkified key={`t${at}`} text={text.slice(at)} />);
  return <>{parts}</>;
}
