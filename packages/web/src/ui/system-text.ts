import type { Conversation, Message } from '@chat/client';
import { nameOf } from './format.js';

type SystemEvent = NonNullable<Message['system']>;

/**
 * A person named in a system line. Someone removed (or who left) is no longer among the members,
 * so the line may have to say "someone"; the viewer is "You".
 */
function who(c: Conversation, userId: string, me: string | undefined, subject = false): string {
  if (userId === me) return subject ? 'You' : 'you';
  const m = c.members.find((x) => x.userId === userId);
  return m ? nameOf(m.user) : 'someone';
}

function ownerText(c: Conversation, heir: string | undefined, me: string | undefined): string {
  if (heir === me) return 'You are now the owner';
  return `${heir ? who(c, heir, me, true) : 'Someone'} is now the owner`;
}

/** The sentence of a system message (docs/PROTOCOL.md#section-7), e.g. "Ann Lee added Bob Kumar". */
export function systemText(c: Conversation, e: SystemEvent, me: string | undefined): string {
  const actor = who(c, e.actorId, me, true);
  const users = (e.userIds ?? []).map((id) => who(c, id, me));
  const list = users.length > 0 ? users.join(', ') : 'someone';
  switch (e.type) {
    case 'member_added':
      return `${actor} added ${list}`;
    case 'member_removed':
      return `${actor} removed ${list}`;
    case 'member_left':
      return `${actor} left`;
    case 'renamed':
      return `${actor} renamed the group to “${e.title ?? ''}”`;
    case 'role_changed':
      // `owner`: the hand-over when the owner left; the actor is the one who left.
      if (e.role === 'owner') return ownerText(c, e.userIds?.[0], me);
      return e.role === 'admin'
        ? `${actor} made ${list} an admin`
        : `${actor} made ${list} a member`;
    case 'closed':
      return `${actor} closed the group`;
    case 'avatar_changed':
      return e.avatarUrl ? `${actor} changed the group photo` : `${actor} removed the group photo`;
  }
}
