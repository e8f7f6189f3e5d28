import type { MongoStore, ObjectId } from '@chat/store';
import { LIMITS } from '@chat/protocol';

/** More distinct names than this in one text are not looked up: one bounded query per send. */
const MAX_NAMES = 50;

// `@` at the start or after a character that cannot be part of a username (so e-mail
// addresses do not mention anyone), then a username (docs/PROTOCOL.md#section-2: [a-z0-9_.-], 3–32).
const MENTION = new RegExp(
  `(?:^|[^a-z0-9_.@-])@([a-z0-9_.-]{${LIMITS.usernameMinChars},${LIMITS.usernameMaxChars}})`,
  'gi',
);

/**
 * The usernames a text names, lowercased. A sentence's full stop or dash after a name
 * ("thanks @ann.") is also tried without it, since usernames may contain '.' and '-'.
 */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const name = (match[1] ?? '').toLowerCase();
    names.add(name);
    const trimmed = name.replace(/[.-]+$/, '');
    if (trimmed.length >= LIMITS.usernameMinChars) names.add(trimmed);
    if (names.size >= MAX_NAMES) break;
  }
  return [...names];
}

/**
 * The users a text names with `@username`. Costs one MongoDB query, and only for texts with
 * an `@` and a name in them; a plain send does no I/O here. Who of them is a CURRENT member
 * (docs/PROTOCOL.md#section-7) is `mentionedMembers`, asked with the membership entry the send script
 * accepted, so a member removed (or added) meanwhile is judged by the new list.
 */
export async function namedUsers(store: MongoStore, text: string | undefined): Promise<ObjectId[]> {
  if (text === undefined || !text.includes('@')) return [];
  const names = mentionedNames(text);
  if (names.length === 0) return [];
  return (await store.users.findByUsernames(names)).map((u) => u._id);
}

export function mentionedMembers(
  named: readonly ObjectId[],
  memberIds: ReadonlySet<string>,
): ObjectId[] {
  return named.filter((id) => memberIds.has(id.toHexString()));
}
