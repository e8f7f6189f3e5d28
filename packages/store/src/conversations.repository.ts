import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { decodeActivityCursor, encodeActivityCursor } from './cursor.js';
import { batchedFindOneByKey } from './batching/batched-ops.js';
import { eitherWay } from './blocks.repository.js';
import { createCoalescer } from './batching/coalescer.js';
import { isDuplicateKeyError } from './errors.js';
import { clampLimit } from './regex.js';
import type { BlockDoc, ConversationDoc, LastMessagePreview, MembershipDoc } from './types.js';
import { compact, directKeyOf } from './util.js';

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

export interface ConversationsRepository {
  readonly collection: Collection<ConversationDoc>;
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
  /** Rename / avatar; only open conversations. Returns the updated document or null. */
  patch(
    id: ObjectId,
    patch: { title?: string; avatarUrl?: string },
    at?: Date,
  ): Promise<ConversationDoc | null>;
  /** Group deleted by its owner: sets closedAt once; returns null if missing or already closed. */
  close(id: ObjectId, at?: Date): Promise<ConversationDoc | null>;
  /**
   * Decision 3: one atomic `$inc` on the conversation hands out the next seq and writes
   * the list preview. Null when the conversation is missing or closed.
   */
  allocateSeq(id: ObjectId, preview: LastMessagePreview): Promise<number | null>;
  /** Membership changes move the conversation up in everyone's list. */
  touchActivity(id: ObjectId, at?: Date): Promise<void>;
  /** After delete-for-everyone: blank the preview if it shows that message. */
  markLastMessageDeleted(id: ObjectId, messageId: ObjectId): Promise<void>;
  /**
   * A send took a seq and set the preview, then its insert lost to the stored message with the
   * same clientMsgId: show that message again, unless a later send has replaced the preview.
   */
  restoreLastMessage(
    id: ObjectId,
    unusedMessageId: ObjectId,
    stored: LastMessagePreview & { seq: number },
  ): Promise<void>;
  /** The user's open conversations, most recent activity first. @default limit 30, max 100 */
  listForUser(
    userId: ObjectId,
    opts?: { limit?: number; cursor?: string },
  ): Promise<ConversationPage>;
  /** Open conversations the user joined, or that changed/had activity, after `since`. @default limit 100 */
  changedSince(userId: ObjectId, since: Date, limit?: number): Promise<ConversationView[]>;
}

/** Batched allocations remembered per conversation (see allocateMany). */
const SEQ_GRANTS_KEPT = 16;

interface AllocateRequest {
  id: ObjectId;
  preview: LastMessagePreview;
}

export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

function view(conversation: ConversationDoc, membership: MembershipDoc): ConversationView {
  return {
    conversation,
    membership,
    unreadCount: Math.max(0, conversation.seq - membership.readSeq),
  };
}

/**
 * `currentMembership` lays this node's pending write-behind cursor moves over a stored
 * membership (memberships.repository `moveOwnCursors`), so unread counts are right at once.
 */
export function createConversationsRepository(
  db: Db,
  currentMembership: (doc: MembershipDoc) => MembershipDoc = (doc) => doc,
): ConversationsRepository {
  const collection = db.collection<ConversationDoc>('conversations');
  const memberships = db.collection<MembershipDoc>('memberships');
  const blocks = db.collection<BlockDoc>('blocks');
  const open: Filter<ConversationDoc> = { closedAt: { $exists: false } };
  /** Where a message may be added: open, and not a direct conversation under a block. */
  const writable: Filter<ConversationDoc> = { ...open, blocked: { $exists: false } };
  // seqGrants is allocateSeq's bookkeeping: no reader needs it.
  const findById = batchedFindOneByKey(collection, ['_id'] as const, {
    projection: { seqGrants: 0 },
  });
  const allocate = createCoalescer<AllocateRequest, number | null>(allocateBatch);

  /** One conversation's share of a batch: `count` seqs, the preview of the last message. */
  interface Grant {
    id: ObjectId;
    count: number;
    preview: LastMessagePreview;
    latest: Date;
    /** Batch indexes in call order; they take consecutive seqs. */
    indexes: number[];
  }

  /** The classic single allocation: one atomic findAndModify (DESIGN decision 3). */
  async function allocateOne(grant: Grant): Promise<number | null> {
    // The preview carries no seq of its own: this single atomic update sets both, so
    // the stored lastMessage always belongs to the stored seq (ConversationDoc docs).
    // $max keeps the list order sane if node clocks disagree slightly.
    const updated = await collection.findOneAndUpdate(
      { _id: grant.id, ...writable },
      {
        $inc: { seq: grant.count },
        $set: { lastMessage: compact(grant.preview) },
        $max: { lastActivityAt: grant.latest },
      },
      { returnDocument: 'after', projection: { seq: 1 } },
    );
    return updated ? updated.seq : null;
  }

  /**
   * Many conversations in two commands instead of one findAndModify each (the driver's cost is
   * per command): one unordered bulk of pipeline updates, each the same atomic `$inc` plus a
   * record `{ t: token, s: newSeq }` in the bounded `seqGrants`, then one read of those records.
   * Returns the end seq per conversation; null when it is closed or missing, undefined when the
   * record was already pushed out by more than SEQ_GRANTS_KEPT later batches (never seen in
   * practice; the caller then allocates again, leaving a gap).
   */
  async function allocateMany(grants: readonly Grant[]): Promise<Array<number | null | undefined>> {
    const token = new ObjectId();
    await collection.bulkWrite(
      grants.map((g) => ({
        updateOne: {
          filter: { _id: g.id, ...writable },
          update: [
            {
              $set: {
                seq: { $add: ['$seq', g.count] },
                // $literal: a preview text starting with "$" is data, not a field path.
                lastMessage: { $literal: compact(g.preview) },
                lastActivityAt: { $max: ['$lastActivityAt', g.latest] },
              },
            },
            {
              $set: {
                seqGrants: {
                  $slice: [
                    {
                      $concatArrays: [
                        { $ifNull: ['$seqGrants', []] },
                        [{ t: { $literal: token }, s: '$seq' }],
                      ],
                    },
                    -SEQ_GRANTS_KEPT,
                  ],
                },
              },
            },
          ],
        },
      })),
      { ordered: false },
    );
    const docs = await collection
      .find(
        { _id: { $in: grants.map((g) => g.id) } },
        { projection: { seqGrants: 1, closedAt: 1, blocked: 1 } },
      )
      .toArray();
    const byId = new Map(docs.map((d) => [d._id.toHexString(), d]));
    return grants.map((g) => {
      const doc = byId.get(g.id.toHexString());
      if (!doc) return null;
      const mine = doc.seqGrants?.find((r) => r.t.equals(token));
      if (mine) return mine.s;
      return doc.closedAt || doc.blocked ? null : undefined;
    });
  }

  /**
   * Sends to the same conversation in one batch share one atomic `$inc` of their count and take
   * consecutive seqs in call order; the preview is the last one's, which holds the highest seq.
   */
  async function allocateBatch(
    batch: readonly AllocateRequest[],
  ): Promise<PromiseSettledResult<number | null>[]> {
    const grants = new Map<string, Grant>();
    batch.forEach((req, i) => {
      const key = req.id.toHexString();
      const grant = grants.get(key);
      if (!grant) {
        grants.set(key, {
          id: req.id,
          count: 1,
          preview: req.preview,
          latest: req.preview.createdAt,
          indexes: [i],
        });
        return;
      }
      grant.count++;
      grant.preview = req.preview;
      if (req.preview.createdAt > grant.latest) grant.latest = req.preview.createdAt;
      grant.indexes.push(i);
    });
    const list = [...grants.values()];
    const ends =
      list.length === 1 ? [await allocateOne(list[0] as Grant)] : await allocateMany(list);
    const results: PromiseSettledResult<number | null>[] = new Array(batch.length);
    await Promise.all(
      list.map(async (grant, g) => {
        const end = ends[g] === undefined ? await allocateOne(grant) : (ends[g] ?? null);
        grant.indexes.forEach((batchIndex, k) => {
          results[batchIndex] = {
            status: 'fulfilled',
            value: end === null ? null : end - grant.count + 1 + k,
          };
        });
      }),
    );
    return results;
  }

  async function membershipsByConversation(userId: ObjectId, ids: readonly ObjectId[]) {
    const docs =
      ids.length === 0
        ? []
        : await memberships.find({ userId, conversationId: { $in: [...ids] } }).toArray();
    return new Map(docs.map((m) => [m.conversationId.toHexString(), m]));
  }

  function joinViews(
    convs: ConversationDoc[],
    byConv: Map<string, MembershipDoc>,
  ): ConversationView[] {
    const out: ConversationView[] = [];
    for (const c of convs) {
      const m = byConv.get(c._id.toHexString());
      // Left between the two reads: not theirs any more.
      if (m) out.push(view(c, currentMembership(m)));
    }
    return out;
  }

  return {
    collection,
    directKeyOf,

    async getOrCreateDirect(a, b, at = new Date()) {
      const directKey = directKeyOf(a, b);
      const existing = await collection.findOne({ directKey });
      if (existing) return { conversation: existing, created: false };
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
        return { conversation: winner, created: false };
      }
    },

    findDirect: (a, b) => collection.findOne({ directKey: directKeyOf(a, b) }),

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

    findById: (id) => findById([id]),

    async findByIds(ids) {
      if (ids.length === 0) return [];
      return collection.find({ _id: { $in: [...ids] } }).toArray();
    },

    async patch(id, patch, at = new Date()) {
      const set = compact({ title: patch.title, avatarUrl: patch.avatarUrl });
      return collection.findOneAndUpdate(
        { _id: id, ...open },
        { $set: { ...set, updatedAt: at, lastActivityAt: at } },
        { returnDocument: 'after' },
      );
    },

    close: (id, at = new Date()) =>
      collection.findOneAndUpdate(
        { _id: id, ...open },
        { $set: { closedAt: at, updatedAt: at } },
        { returnDocument: 'after' },
      ),

    allocateSeq: (id, preview) => allocate({ id, preview }),

    async touchActivity(id, at = new Date()) {
      // $max: a late touch must not move the list position backwards.
      await collection.updateOne({ _id: id }, { $max: { lastActivityAt: at } });
    },

    async markLastMessageDeleted(id, messageId) {
      await collection.updateOne(
        { _id: id, 'lastMessage.id': messageId },
        { $set: { 'lastMessage.kind': 'deleted' }, $unset: { 'lastMessage.text': '' } },
      );
    },

    async restoreLastMessage(id, unusedMessageId, stored) {
      await collection.updateOne(
        { _id: id, 'lastMessage.id': unusedMessageId },
        { $set: { lastMessage: compact(stored) } },
      );
    },

    async listForUser(userId, opts = {}) {
      const limit = clampLimit(opts.limit, 30, 100);
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
      const convs = await collection
        .find({ _id: { $in: mine.map((m) => m.conversationId) }, ...open, ...after })
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
      const last = page[page.length - 1];
      if (convs.length > limit && last) {
        return {
          items,
          nextCursor: encodeActivityCursor({ lastActivityAt: last.lastActivityAt, id: last._id }),
        };
      }
      return { items };
    },

    async changedSince(userId, since, limit = 100) {
      const mine = await memberships.find({ userId }).toArray();
      if (mine.length === 0) return [];
      const joined = mine.filter((m) => m.joinedAt > since).map((m) => m.conversationId);
      const convs = await collection
        .find({
          _id: { $in: mine.map((m) => m.conversationId) },
          ...open,
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
