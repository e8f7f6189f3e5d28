import { LIMITS } from '@chat/protocol';
import { ObjectId, type Collection } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import type { MessageDoc, ReactionDoc } from './types.js';

/** Distinct emoji one message may carry. */
export const MAX_DISTINCT_EMOJI = LIMITS.reactionsDistinctPerMessage;

export interface ReactionSummary {
  emoji: string;
  count: number;
  userIds: ObjectId[];
}

export type AddReactionResult = 'added' | 'exists' | 'limit' | 'not-found';

/**
 * Reactions live in their own collection with a unique (messageId, userId, emoji) index:
 * one document per reaction keeps the message document small however many members
 * react, and the unique index makes "one of each emoji per user" race-free.
 * The 20-distinct-emoji rule needs an atomic check across users, so the message holds a
 * bounded set `reactionEmojis` (≤ 20 strings) that a conditional `$addToSet` reserves a
 * slot in before the reaction is inserted. A message without `reactionEmojis` has no
 * reactions (see `add`), so readers need not look.
 */
export function createReactionOps(
  messages: Collection<MessageDoc>,
  reactions: Collection<ReactionDoc>,
) {
  // Every messages filter names the conversation too: the messages shard key (shard-keys.ts).
  type MessageRef = Pick<MessageDoc, '_id' | 'conversationId'>;
  const byRef = (m: MessageRef) => ({ _id: m._id, conversationId: m.conversationId });

  async function reserveEmoji(message: MessageRef, emoji: string): Promise<boolean> {
    const res = await messages.updateOne(
      {
        ...byRef(message),
        deletedAt: { $exists: false },
        $or: [
          { reactionEmojis: emoji },
          { [`reactionEmojis.${MAX_DISTINCT_EMOJI - 1}`]: { $exists: false } },
        ],
      },
      { $addToSet: { reactionEmojis: emoji } },
    );
    return res.matchedCount > 0;
  }

  async function summarize(
    messageIds: readonly ObjectId[],
  ): Promise<Map<string, ReactionSummary[]>> {
    const out = new Map<string, ReactionSummary[]>();
    if (messageIds.length === 0) return out;
    const rows = await reactions
      .aggregate<{
        _id: { m: ObjectId; e: string };
        count: number;
        userIds: ObjectId[];
        first: Date;
      }>([
        { $match: { messageId: { $in: [...messageIds] } } },
        { $sort: { createdAt: 1, _id: 1 } },
        {
          $group: {
            _id: { m: '$messageId', e: '$emoji' },
            count: { $sum: 1 },
            userIds: { $push: '$userId' },
            first: { $min: '$createdAt' },
          },
        },
        // Emoji appear in the order they were first used on the message.
        { $sort: { first: 1, '_id.e': 1 } },
      ])
      .toArray();
    for (const row of rows) {
      const key = row._id.m.toHexString();
      const list = out.get(key) ?? [];
      list.push({ emoji: row._id.e, count: row.count, userIds: row.userIds });
      out.set(key, list);
    }
    return out;
  }

  return {
    summarize,

    async add(message: MessageRef, userId: ObjectId, emoji: string, at: Date) {
      if (!(await reserveEmoji(message, emoji))) {
        const exists = await messages.countDocuments(
          { ...byRef(message), deletedAt: { $exists: false } },
          { limit: 1 },
        );
        return exists ? ('limit' as const) : ('not-found' as const);
      }
      try {
        await reactions.insertOne({
          _id: new ObjectId(),
          messageId: message._id,
          conversationId: message.conversationId,
          userId,
          emoji,
          createdAt: at,
        });
        // Re-assert the reservation: a remove of the last same emoji may have pulled it between
        // our reserve and our insert. With this and remove's re-check, every stored reaction's
        // emoji is in reactionEmojis once both calls return, which lets readers skip the
        // reactions query for messages without any (messages.service toDtos).
        await messages.updateOne(
          { ...byRef(message), deletedAt: { $exists: false } },
          { $addToSet: { reactionEmojis: emoji } },
        );
        return 'added' as const;
      } catch (err) {
        if (isDuplicateKeyError(err)) return 'exists' as const;
        throw err;
      }
    },

    async remove(message: MessageRef, userId: ObjectId, emoji: string): Promise<boolean> {
      const messageId = message._id;
      const res = await reactions.deleteOne({ messageId, userId, emoji });
      if (res.deletedCount === 0) return false;
      // Free the emoji's slot when nobody uses it any more. Known bound: an add of the
      // same emoji racing this exact moment can leave it un-reserved, so the limit could
      // be exceeded by one in that rare interleaving; counts and user lists stay exact.
      const left = await reactions.countDocuments({ messageId, emoji }, { limit: 1 });
      if (left === 0) {
        await messages.updateOne(byRef(message), { $pull: { reactionEmojis: emoji } });
        // Narrow the race: an add that landed between our count and the pull re-reserves.
        if ((await reactions.countDocuments({ messageId, emoji }, { limit: 1 })) > 0) {
          await messages.updateOne(byRef(message), { $addToSet: { reactionEmojis: emoji } });
        }
      }
      return true;
    },

    async removeAllOf(message: MessageRef): Promise<void> {
      await reactions.deleteMany({ messageId: message._id });
      await messages.updateOne(byRef(message), { $unset: { reactionEmojis: '' } });
    },
  };
}
