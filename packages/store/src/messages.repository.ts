import { LIMITS } from '@chat/protocol';
import { ObjectId, type Db, type Filter } from 'mongodb';
import { batchedFindOneByKey, batchedInsertOne } from './batching/batched-ops.js';
import { createShardedClientMsgIds } from './client-msg-ids.js';
import { mapDuplicate } from './errors.js';
import { createReactionOps, type AddReactionResult, type ReactionSummary } from './reactions.js';
import { createMessageSearch, type MessageSearch } from './message-search.js';
import { clampLimit } from './regex.js';
import { termsOf } from './search-terms.js';
import type {
  MessageDoc,
  MessageKind,
  ReactionDoc,
  ReplyToSnapshot,
  SystemEventDoc,
} from './types.js';
import { compact } from './util.js';

/** Older versions beyond this are dropped: edits are rate-limited and windowed, this is a backstop. */
export const MAX_KEPT_EDITS = 50;

export interface InsertMessageInput {
  /** Chosen by the sender's node before the seq: a resend is told it (see @chat/send-state). */
  _id?: ObjectId;
  conversationId: ObjectId;
  seq: number;
  senderId: ObjectId;
  clientMsgId?: string;
  kind?: MessageKind;
  text?: string;
  attachmentIds?: ObjectId[];
  replyTo?: ReplyToSnapshot;
  mentions?: ObjectId[];
  system?: SystemEventDoc;
  createdAt?: Date;
}

export interface HistoryQuery {
  /** Messages with seq < before, newest first. */
  before?: number;
  /** Messages with seq > after, oldest first (catch-up). Ignored when `before` is set. */
  after?: number;
  /** @default 50, max 100 */
  limit?: number;
  /** The reader: messages they deleted "for me" are left out. */
  viewerId: ObjectId;
  /** The reader's membership.hiddenBefore: seq <= this is not served. */
  hiddenBefore?: number;
}

export interface HistoryPage {
  messages: MessageDoc[];
  hasMore: boolean;
}

export interface MessagesRepository extends MessageSearch {
  /**
   * @throws DuplicateKeyError on a repeated (senderId, clientMsgId) — look the original up
   * with findByClientMsgId; in sharded mode it may be missing when an attempt in another
   * conversation crashed between its two inserts — or on a repeated (conversationId, seq)
   * (a bug upstream).
   */
  insert(input: InsertMessageInput): Promise<MessageDoc>;
  /** The highest stored seq of the conversation (0 when empty): what a lost Redis counter restarts from. */
  latestSeq(conversationId: ObjectId): Promise<number>;
  /** Quotes of `messageId` in replies follow its edit (text) or its deletion (undefined). */
  reviseReplyQuotes(conversationId: ObjectId, messageId: ObjectId, text?: string): Promise<void>;
  findById(id: ObjectId): Promise<MessageDoc | null>;
  findByIds(ids: readonly ObjectId[]): Promise<MessageDoc[]>;
  findByClientMsgId(senderId: ObjectId, clientMsgId: string): Promise<MessageDoc | null>;
  /** Without before/after: the newest page. `hasMore` uses the limit+1 trick. */
  history(conversationId: ObjectId, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * Replaces the text and keeps the previous one in `edits`. Compare-and-set on the
   * current version, so concurrent edits never lose a version. Null if missing/deleted.
   */
  edit(id: ObjectId, text: string, at: Date): Promise<MessageDoc | null>;
  /** Tombstone: text, attachments, edits and reactions removed; seq stays. Null if missing/already deleted. */
  deleteForEveryone(id: ObjectId, at: Date): Promise<MessageDoc | null>;
  /** "Delete for me"; idempotent. Returns false when the message does not exist. */
  hideForUser(id: ObjectId, userId: ObjectId): Promise<boolean>;
  addReaction(
    message: Pick<MessageDoc, '_id' | 'conversationId'>,
    userId: ObjectId,
    emoji: string,
    at?: Date,
  ): Promise<AddReactionResult>;
  removeReaction(
    message: Pick<MessageDoc, '_id' | 'conversationId'>,
    userId: ObjectId,
    emoji: string,
  ): Promise<boolean>;
  /** `[{ emoji, count, userIds }]` per message id hex, emoji in first-use order. */
  reactionsOf(messageIds: readonly ObjectId[]): Promise<Map<string, ReactionSummary[]>>;
}

/** Absent rather than empty: the search index is partial on `terms` existing. */
function searchTerms(text: string | undefined): string[] | undefined {
  const terms = termsOf(text);
  return terms.length > 0 ? terms : undefined;
}

function termsUpdate(text: string): { terms: string[] } | Record<string, never> {
  const terms = searchTerms(text);
  return terms ? { terms } : {};
}

export interface MessagesRepositoryOptions {
  /**
   * A sharded deployment (MONGO_SHARDED): clientMsgId uniqueness across conversations goes
   * through the `clientMsgIds` proxy collection, one more command per insert batch
   * (client-msg-ids.ts). @default false
   */
  sharded?: boolean;
}

export function createMessagesRepository(
  db: Db,
  options: MessagesRepositoryOptions = {},
): MessagesRepository {
  const collection = db.collection<MessageDoc>('messages');
  const reactionsCollection = db.collection<ReactionDoc>('reactions');
  const reactions = createReactionOps(collection, reactionsCollection);
  // The send path's two message operations, batched across concurrent sends.
  const sharded = options.sharded ? createShardedClientMsgIds(db, collection) : undefined;
  const insertOne = sharded?.insert ?? batchedInsertOne(collection);
  const findByKey = batchedFindOneByKey(collection, ['senderId', 'clientMsgId'] as const);
  const findByClientMsgId =
    sharded?.findByClientMsgId ??
    ((senderId: ObjectId, clientMsgId: string) => findByKey([senderId, clientMsgId]));

  function seqRange(hiddenBefore: number | undefined, range: { $lt?: number; $gt?: number }) {
    const floor = hiddenBefore ?? 0;
    const gt = range.$gt !== undefined ? Math.max(range.$gt, floor) : floor > 0 ? floor : undefined;
    return compact({ $lt: range.$lt, $gt: gt });
  }

  return {
    ...createMessageSearch(collection),

    async insert(input) {
      const doc: MessageDoc = compact({
        _id: input._id ?? new ObjectId(),
        conversationId: input.conversationId,
        seq: input.seq,
        senderId: input.senderId,
        clientMsgId: input.clientMsgId,
        kind: input.kind ?? ((input.attachmentIds?.length ?? 0) > 0 ? 'attachment' : 'text'),
        text: input.text,
        attachmentIds: input.attachmentIds ?? [],
        replyTo: input.replyTo ? compact(input.replyTo) : undefined,
        mentions: input.mentions && input.mentions.length > 0 ? input.mentions : undefined,
        system: input.system ? compact(input.system) : undefined,
        createdAt: input.createdAt ?? new Date(),
        terms: searchTerms(input.text),
      });
      await mapDuplicate(() => insertOne(doc));
      return doc;
    },

    async latestSeq(conversationId) {
      const [latest] = await collection
        .find({ conversationId }, { projection: { seq: 1 } })
        .sort({ seq: -1 })
        .limit(1)
        .toArray();
      return latest?.seq ?? 0;
    },

    async reviseReplyQuotes(conversationId, messageId, text) {
      await collection.updateMany(
        { conversationId, 'replyTo.id': messageId },
        text === undefined
          ? { $unset: { 'replyTo.text': '' } }
          : { $set: { 'replyTo.text': text } },
      );
    },

    findById: (id) => collection.findOne({ _id: id }),

    async findByIds(ids) {
      if (ids.length === 0) return [];
      return collection.find({ _id: { $in: [...ids] } }).toArray();
    },

    findByClientMsgId,

    async history(conversationId, query) {
      const limit = clampLimit(query.limit, LIMITS.historyLimitDefault, LIMITS.historyLimitMax);
      const base: Filter<MessageDoc> = { conversationId, hiddenFor: { $ne: query.viewerId } };
      const newestFirst = query.before !== undefined || query.after === undefined;
      const range =
        query.before !== undefined
          ? seqRange(query.hiddenBefore, { $lt: query.before })
          : seqRange(query.hiddenBefore, query.after !== undefined ? { $gt: query.after } : {});
      const filter: Filter<MessageDoc> =
        Object.keys(range).length > 0 ? { ...base, seq: range } : base;
      const docs = await collection
        .find(filter)
        .sort({ seq: newestFirst ? -1 : 1 })
        .limit(limit + 1)
        .toArray();
      return { messages: docs.slice(0, limit), hasMore: docs.length > limit };
    },

    async edit(id, text, at) {
      // Optimistic concurrency on editedAt: retry when another edit won in between.
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await collection.findOne({ _id: id, deletedAt: { $exists: false } });
        if (!current) return null;
        const version: Filter<MessageDoc> = current.editedAt
          ? { editedAt: current.editedAt }
          : { editedAt: { $exists: false } };
        const previous = { text: current.text ?? '', at: current.editedAt ?? current.createdAt };
        const updated = await collection.findOneAndUpdate(
          { _id: id, deletedAt: { $exists: false }, ...version },
          {
            $set: { text, editedAt: at, ...termsUpdate(text) },
            ...(searchTerms(text) ? {} : { $unset: { terms: '' as const } }),
            $push: { edits: { $each: [previous], $slice: -MAX_KEPT_EDITS } },
          },
          { returnDocument: 'after' },
        );
        if (updated) return updated;
      }
      throw new Error(`message ${id.toHexString()} kept changing during edit`);
    },

    async deleteForEveryone(id, at) {
      const updated = await collection.findOneAndUpdate(
        { _id: id, deletedAt: { $exists: false } },
        {
          $set: { deletedAt: at, attachmentIds: [] },
          $unset: { text: '', edits: '', reactionEmojis: '', terms: '' },
        },
        { returnDocument: 'after' },
      );
      if (updated) await reactions.removeAllOf(updated);
      return updated;
    },

    async hideForUser(id, userId) {
      const res = await collection.updateOne({ _id: id }, { $addToSet: { hiddenFor: userId } });
      return res.matchedCount > 0;
    },

    addReaction: (message, userId, emoji, at = new Date()) =>
      reactions.add(message, userId, emoji, at),
    removeReaction: (message, userId, emoji) => reactions.remove(message, userId, emoji),
    reactionsOf: (messageIds) => reactions.summarize(messageIds),
  };
}
