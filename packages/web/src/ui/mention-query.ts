import type { Conversation } from '@chat/client';

export type Member = Conversation['members'][number];

const MAX_SUGGESTIONS = 6;
// An `@` that starts a word (like the server's rule, so e-mail addresses do not trigger it),
// then the part of a username typed so far, right before the caret.
const TYPED_MENTION = /(?:^|[^a-z0-9_.@-])@([a-z0-9_.-]*)$/i;

export interface MentionQuery {
  /** Where the `@` is in the text. */
  start: number;
  query: string;
}

/** The mention being typed at the caret, if any. */
export function mentionAt(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  const match = TYPED_MENTION.exec(before);
  if (!match) return undefined;
  const query = match[1] ?? '';
  return { start: caret - query.length - 1, query };
}

/** Other members whose username or display name starts with what was typed. */
export function suggestMembers(c: Conversation, me: string, query: string): Member[] {
  const q = query.toLowerCase();
  return c.members
    .filter(
      (m) =>
        m.userId !== me &&
        (m.user.username.toLowerCase().startsWith(q) ||
          m.user.displayName
            .toLowerCase()
            .split(/\s+/)
            .some((w) => w.startsWith(q))),
    )
    .slice(0, MAX_SUGGESTIONS);
}

/** The text with the typed `@part` replaced by the full `@username ` and the caret after it. */
export function insertMention(
  text: string,
  caret: number,
  at: MentionQuery,
  username: string,
): { text: string; caret: number } {
  const inserted = `@${username} `;
  return {
    text: text.slice(0, at.start) + inserted + text.slice(caret),
    caret: at.start + inserted.length,
  };
}
