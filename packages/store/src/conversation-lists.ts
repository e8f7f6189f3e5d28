import { LIMITS } from '@chat/protocol';
import type { Collection, Filter, ObjectId } from 'mongodb';
import { decodeActivityCursor, encodeActivityCursor } from './cursor.js';
import { clampLimit } from './regex.js';
import type { ConversationDoc, MembershipDoc } from './types.js';

/** A conversation as one member sees it in lists and sync. */
export interface ConversationView {
  conversation: ConversationDoc;
  membership: MembershipDoc;
  /** `seq - readSeq`, never negative. */
  unreadCount: number;
}

export interface ConversationPage {
  items: ConversationView[];
  /** Present when there may be more; pass back as `cursor`. */
  nextCursor?: string;
}

export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

const OPEN: Filter<ConversationDoc> = { closedAt: { $exists: false } };

/**
 * The two list reads of a user's conversations. `current` lays this node's pending
 * write-behind (previews, own cursors) over what was read, so lists are right at once here
 * and within the write-behind delay on other nodes.
 */
export function createConversationLists(deps: {
  conversations: Collection<ConversationDoc>;
  memberships: Collection<MembershipDoc>;
  currentConversation: (doc: ConversationDoc) => ConversationDoc;
  currentMembership: (doc: MembershipDoc) => MembershipDoc;
}) {
  const { conversations, memberships } = deps;

  function view(conversation: ConversationDoc, membership: MembershipDoc): ConversationView {
    const c = deps.currentConversation(conversation);
    const m = deps.currentMembership(membership);
    return { conversation: c, membership: m, unreadCount: Math.max(0, c.seq - m.readSeq) };
  }

  function joinViews(
    convs: ConversationDoc[],
    byConv: Map<string, MembershipDoc>,
  ): ConversationView[] {
    const out: ConversationView[] = [];
    for (const c of convs) {
      const m = byConv.get(c._id.toHexString());
      // Left between the two reads: not theirs any more.
      if (m) out.push(view(c, m));
    }
    return out;
  }

  async function membershipsByConversation(userId: ObjectId, ids: readonly ObjectId[]) {
    const docs =
      ids.length === 0
        ? []
        : await memberships.find({ userId, conversationId: { $in: [...ids] } }).toArray();
    return new Map(docs.map((m) => [m.conversationId.toHexString(), m]));
  }

  return {
    /** The user's open conversations, most recent activity first. @default limit 30, max 100 */
    async listForUser(
      userId: ObjectId,
      opts: { limit?: number; cursor?: string } = {},
    ): Promise<ConversationPage> {
      const limit = clampLimit(
        opts.limit,
        LIMITS.conversationsLimitDefault,
        LIMITS.conversationsLimitMax,
      );
      let after: Filter<ConversationDoc> = {};
      if (opts.cursor !== undefined) {
        const c = decodeActivityCursor(opts.cursor);
        if (!c) throw new InvalidCursorError();
        after = {
          $or: [
            { lastActivityAt: { $lt: c.lastActivityAt } },
            { lastActivityAt: c.lastActivityAt, _id: { $lt: c.id } },
          ],
        };
      }
      // Why this shape: the user's memberships are bounded by how many conversations a
      // user can be in, so reading their ids is cheap; the page itself is then one indexed
      // query on conversations (`_id $in` + sort on the (lastActivityAt, _id) index) with
      // limit+1. Denormalising lastActivityAt into every membership would instead cost
      // one write per member on every message in big groups.
      const mine = await memberships
        .find({ userId }, { projection: { conversationId: 1 } })
        .toArray();
      if (mine.length === 0) return { items: [] };
      const convs = await conversations
        .find({ _id: { $in: mine.map((m) => m.conversationId) }, ...OPEN, ...after })
        .sort({ lastActivityAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray();
      const page = convs.slice(0, limit);
      const items = joinViews(
        page,
        await membershipsByConversation(
          userId,
          page.map((c) => c._id),
        ),
      );
      // The cursor stays on stored values; only this page's order follows pending activity.
      items.sort(
        (a, b) => b.conversation.lastActivityAt.getTime() - a.conversation.lastActivityAt.getTime(),
      );
      const last = page[page.length - 1];
      if (convs.length > limit && last) {
        return {
          items,
          nextCursor: encodeActivityCursor({ lastActivityAt: last.lastActivityAt, id: last._id }),
        };
      }
      return { items };
    },

    /** Open conversations the user joined, or that changed/had activity, after `since`. @default limit 100 */
    async changedSince(userId: ObjectId, since: Date, limit = 100): Promise<ConversationView[]> {
      const mine = await memberships.find({ userId }).toArray();
      if (mine.length === 0) return [];
      const joined = mine.filter((m) => m.joinedAt > since).map((m) => m.conversationId);
      const convs = await conversations
        .find({
          _id: { $in: mine.map((m) => m.conversationId) },
          ...OPEN,
          $or: [
            { lastActivityAt: { $gt: since } },
            { updatedAt: { $gt: since } },
            { _id: { $in: joined } },
          ],
        })
        .sort({ lastActivityAt: -1, _id: -1 })
        .limit(clampLimit(limit, 100, 500))
        .toArray();
      return joinViews(convs, new Map(mine.map((m) => [m.conversationId.toHexString(), m])));
    },
  };
}
