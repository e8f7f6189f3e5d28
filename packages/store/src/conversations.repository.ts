import { ObjectId, type Db, type Filter } from 'mongodb';
import { batchedFindOneByKey } from './batching/batched-ops.js';
import {
  createConversationActivityWriter,
  type ConversationActivity,
} from './batching/conversation-activity-writer.js';
import { eitherWay } from './blocks.repository.js';
import {
  createConversationLists,
  type ConversationPage,
  type ConversationView,
} from './conversation-lists.js';
import { isDuplicateKeyError } from './errors.js';
import type { BlockDoc, ConversationDoc, MembershipDoc, StoreLogger } from './types.js';
import { compact, directKeyOf } from './util.js';

/** What a later edit or delete-for-everyone does to a message's list preview. */
export type PreviewRevision = { text: string } | 'deleted';

export interface ConversationsRepository {
  /** `<smaller hex>:<larger hex>`: the same key whichever side asks. */
  directKeyOf(a: ObjectId, b: ObjectId): string;
  /**
   * Exactly one direct conversation per pair, even under concurrent calls on several
   * nodes: the unique partial index on `directKey` decides the race. Membership docs
   * are the caller's job (memberships.add is idempotent, so every racer may add them).
   */
  getOrCreateDirect(
    a: ObjectId,
    b: ObjectId,
    at?: Date,
  ): Promise<{ conversation: ConversationDoc; created: boolean }>;
  findDirect(a: ObjectId, b: ObjectId): Promise<ConversationDoc | null>;
  createGroup(input: {
    title: string;
    avatarUrl?: string;
    createdBy: ObjectId;
    at?: Date;
  }): Promise<ConversationDoc>;
  /** Includes closed conversations: callers decide (closed → NOT_FOUND for clients). */
  findById(id: ObjectId): Promise<ConversationDoc | null>;
  findByIds(ids: readonly ObjectId[]): Promise<ConversationDoc[]>;
  /**
   * Rename / avatar (`avatarUrl: null` removes it); only open conversations. Returns the
   * updated document or null.
   */
  patch(
    id: ObjectId,
    patch: { title?: string; avatarUrl?: string | null },
    at?: Date,
  ): Promise<ConversationDoc | null>;
  /** Is this the photo of some open group? (the public avatar route serves nothing else) */
  isAvatarInUse(avatarUrl: string): Promise<boolean>;
  /** Group deleted by its owner: sets closedAt once; returns null if missing or already closed. */
  close(id: ObjectId, at?: Date): Promise<ConversationDoc | null>;
  /**
   * A message was stored: its seq, preview and time become the conversation's, written behind
   * (batching/conversation-activity-writer.ts; the newest seq wins). Returns at once.
   */
  recordMessage(activity: ConversationActivity): void;
  /** Membership changes move the conversation up in everyone's list. */
  touchActivity(id: ObjectId, at?: Date): Promise<void>;
  /**
   * After an edit or delete-for-everyone: the preview follows, if it shows that message. A
   * message younger than the write-behind delay may still have its preview in flight on some
   * node, so the revision is applied again once that has landed.
   */
  reviseLastMessage(
    id: ObjectId,
    message: { id: ObjectId; createdAt: Date },
    revision: PreviewRevision,
  ): Promise<void>;
  /** The user's open conversations, most recent activity first. @default limit 30, max 100 */
  listForUser(
    userId: ObjectId,
    opts?: { limit?: number; cursor?: string },
  ): Promise<ConversationPage>;
  /** Open conversations the user joined, or that changed/had activity, after `since`. @default limit 100 */
  changedSince(userId: ObjectId, since: Date, limit?: number): Promise<ConversationView[]>;
  /** Stores the queued previews (shutdown, tests). */
  flushActivity(): Promise<void>;
}

export interface ConversationsRepositoryOptions {
  /** Lays this node's pending own-cursor moves over a stored membership. */
  currentMembership?: (doc: MembershipDoc) => MembershipDoc;
  /** How long a preview waits for others to share its write. @default 500 */
  activityDelayMs?: number;
  logger?: StoreLogger;
}

/** Margin after the write-behind delay before a preview revision is applied again. */
const REVISE_AGAIN_MARGIN_MS = 1_000;

export function createConversationsRepository(
  db: Db,
  options: ConversationsRepositoryOptions = {},
): ConversationsRepository {
  const collection = db.collection<ConversationDoc>('conversations');
  const blocks = db.collection<BlockDoc>('blocks');
  const open: Filter<ConversationDoc> = { closedAt: { $exists: false } };
  const activityDelayMs = options.activityDelayMs ?? 500;
  const activity = createConversationActivityWriter(collection, {
    delayMs: activityDelayMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const current = activity.overlay;
  const findOne = batchedFindOneByKey(collection, ['_id'] as const);
  const lists = createConversationLists({
    conversations: collection,
    memberships: db.collection<MembershipDoc>('memberships'),
    currentConversation: current,
    currentMembership: options.currentMembership ?? ((doc) => doc),
  });

  async function applyRevision(
    id: ObjectId,
    messageId: ObjectId,
    revision: PreviewRevision,
  ): Promise<void> {
    await collection.updateOne(
      { _id: id, 'lastMessage.id': messageId },
      revision === 'deleted'
        ? { $set: { 'lastMessage.kind': 'deleted' }, $unset: { 'lastMessage.text': '' } }
        : { $set: { 'lastMessage.text': revision.text } },
    );
  }

  return {
    directKeyOf,

    async getOrCreateDirect(a, b, at = new Date()) {
      const directKey = directKeyOf(a, b);
      const existing = await collection.findOne({ directKey });
      if (existing) return { conversation: current(existing), created: false };
      const doc: ConversationDoc = {
        _id: new ObjectId(),
        type: 'direct',
        directKey,
        createdBy: a,
        createdAt: at,
        updatedAt: at,
        lastActivityAt: at,
        seq: 0,
      };
      try {
        await collection.insertOne(doc);
        // A block made while this was being created found no conversation to flag: look again.
        const blockedNow = await blocks.countDocuments(eitherWay(a, b), { limit: 1 });
        if (blockedNow > 0) {
          await collection.updateOne({ _id: doc._id }, { $set: { blocked: true } });
          doc.blocked = true;
        }
        return { conversation: doc, created: true };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const winner = await collection.findOne({ directKey });
        if (!winner) throw err;
        return { conversation: current(winner), created: false };
      }
    },

    async findDirect(a, b) {
      const doc = await collection.findOne({ directKey: directKeyOf(a, b) });
      return doc && current(doc);
    },

    async createGroup({ title, avatarUrl, createdBy, at = new Date() }) {
      const doc: ConversationDoc = compact({
        _id: new ObjectId(),
        type: 'group' as const,
        title,
        avatarUrl,
        createdBy,
        createdAt: at,
        updatedAt: at,
        lastActivityAt: at,
        seq: 0,
      });
      await collection.insertOne(doc);
      return doc;
    },

    async findById(id) {
      const doc = await findOne([id]);
      return doc && current(doc);
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      return (await collection.find({ _id: { $in: [...ids] } }).toArray()).map(current);
    },

    async patch(id, patch, at = new Date()) {
      const set = compact({ title: patch.title, avatarUrl: patch.avatarUrl ?? undefined });
      const doc = await collection.findOneAndUpdate(
        { _id: id, ...open },
        {
          $set: { ...set, updatedAt: at, lastActivityAt: at },
          ...(patch.avatarUrl === null ? { $unset: { avatarUrl: '' as const } } : {}),
        },
        { returnDocument: 'after' },
      );
      return doc && current(doc);
    },

    async isAvatarInUse(avatarUrl) {
      return (await collection.countDocuments({ avatarUrl, ...open }, { limit: 1 })) > 0;
    },

    async close(id, at = new Date()) {
      const doc = await collection.findOneAndUpdate(
        { _id: id, ...open },
        { $set: { closedAt: at, updatedAt: at } },
        { returnDocument: 'after' },
      );
      return doc && current(doc);
    },

    recordMessage: (item) => activity.record(item),

    async touchActivity(id, at = new Date()) {
      // $max: a late touch must not move the list position backwards.
      await collection.updateOne({ _id: id }, { $max: { lastActivityAt: at } });
    },

    async reviseLastMessage(id, message, revision) {
      await applyRevision(id, message.id, revision);
      const landedBy = message.createdAt.getTime() + activityDelayMs + REVISE_AGAIN_MARGIN_MS;
      const wait = landedBy - Date.now();
      if (wait > 0) {
        setTimeout(() => {
          applyRevision(id, message.id, revision).catch((err: unknown) =>
            options.logger?.warn({ err }, 'preview revision not applied again'),
          );
        }, wait).unref();
      }
    },

    listForUser: (userId, opts) => lists.listForUser(userId, opts),
    changedSince: (userId, since, limit) => lists.changedSince(userId, since, limit),
    flushActivity: () => activity.flush(),
  };
}

export {
  InvalidCursorError,
  type ConversationPage,
  type ConversationView,
} from './conversation-lists.js';
