import { MongoServerError, type Db, type IndexDescription } from 'mongodb';

/**
 * Every index the repositories rely on, by collection. Names are explicit so a changed
 * definition fails loudly (IndexOptionsConflict) instead of creating a twin index.
 */
export const INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  users: [
    { name: 'usernameLower_unique', key: { usernameLower: 1 }, unique: true },
    { name: 'displayNameLower', key: { displayNameLower: 1 } },
    // The public avatar route asks "is this somebody's avatar" (profile, docs/PROTOCOL.md#section-7).
    {
      name: 'avatarUrl',
      key: { avatarUrl: 1 },
      partialFilterExpression: { avatarUrl: { $type: 'string' } },
    },
    {
      name: 'externalSub_unique',
      key: { externalSub: 1 },
      unique: true,
      partialFilterExpression: { externalSub: { $type: 'string' } },
    },
  ],
  blocks: [
    { name: 'blocker_blocked_unique', key: { blockerId: 1, blockedId: 1 }, unique: true },
    { name: 'blocked_blocker', key: { blockedId: 1, blockerId: 1 } },
  ],
  conversations: [
    // Race-free direct get-or-create (decision 3 / docs/PROTOCOL.md#section-2 "exactly one").
    {
      name: 'directKey_unique',
      key: { directKey: 1 },
      unique: true,
      partialFilterExpression: { type: 'direct' },
    },
    { name: 'lastActivity', key: { lastActivityAt: -1, _id: -1 } },
    // The public avatar route asks "is this some group's photo" (as for users above).
    {
      name: 'avatarUrl',
      key: { avatarUrl: 1 },
      partialFilterExpression: { avatarUrl: { $type: 'string' } },
    },
  ],
  memberships: [
    // Shard key first (shard-keys.ts): one membership per (user, conversation) either way.
    { name: 'user_conversation_unique', key: { userId: 1, conversationId: 1 }, unique: true },
    // The members of a conversation (a scatter read once sharded, cached per node).
    { name: 'conversation_user', key: { conversationId: 1, userId: 1 } },
  ],
  messages: [
    { name: 'conversation_seq_unique', key: { conversationId: 1, seq: 1 }, unique: true },
    {
      name: 'sender_clientMsgId_unique',
      key: { senderId: 1, clientMsgId: 1 },
      unique: true,
      partialFilterExpression: { clientMsgId: { $type: 'string' } },
    },
    // Search across conversations (docs/PROTOCOL.md#section-7): one entry per (word, conversation) of a message.
    {
      name: 'terms_conversation',
      key: { terms: 1, conversationId: 1 },
      partialFilterExpression: { terms: { $exists: true } },
    },
  ],
  reactions: [
    { name: 'message_user_emoji_unique', key: { messageId: 1, userId: 1, emoji: 1 }, unique: true },
    { name: 'message_emoji', key: { messageId: 1, emoji: 1 } },
  ],
  attachments: [
    { name: 'uploader_created', key: { uploaderId: 1, createdAt: -1 } },
    // Not partial: real MongoDB rejects `$exists: false` in a partialFilterExpression.
    { name: 'usedAt_createdAt', key: { usedAt: 1, createdAt: 1 } },
  ],
  sessions: [
    { name: 'user_lastUsed', key: { userId: 1, lastUsedAt: -1, _id: -1 } },
    // Expired sessions go by themselves; revoked ones stay until then (audit trail).
    { name: 'expiresAt_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 },
  ],
  refresh_tokens: [
    { name: 'hash_unique', key: { hash: 1 }, unique: true },
    { name: 'session', key: { sessionId: 1 } },
    { name: 'expiresAt_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 },
  ],
  notifications: [
    { name: 'user_created', key: { userId: 1, createdAt: -1, _id: -1 } },
    { name: 'user_read_created', key: { userId: 1, read: 1, createdAt: -1 } },
  ],
};

/**
 * Indexes earlier versions created that the ones above replace (unique indexes start with the
 * shard key). Dropped before the new ones are built, so a database from before starts:
 * `user_conversation` has the new unique index's key, and a twin key is refused.
 */
export const REPLACED_INDEXES: Readonly<Record<string, readonly string[]>> = {
  memberships: ['conversation_user_unique', 'user_conversation'],
};

const NAMESPACE_NOT_FOUND = 26;

/** Index names present on the collection (none when it does not exist yet). */
async function indexNames(db: Db, collection: string): Promise<Set<string>> {
  try {
    const specs = await db.collection(collection).listIndexes().toArray();
    return new Set(specs.map((s) => String(s['name'])));
  } catch (err) {
    if (err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND) return new Set();
    throw err;
  }
}

/** What ensureIndexes builds, and what it drops first (sharded-indexes.ts has the sharded set). */
export interface IndexSet {
  indexes: Readonly<Record<string, readonly IndexDescription[]>>;
  replaced: Readonly<Record<string, readonly string[]>>;
}

const INDEX_NOT_FOUND = 27;

/**
 * Idempotent: createIndexes with an identical spec is a no-op on the server. Indexes of
 * `replaced` still present are dropped first (a node starting at the same time may have
 * dropped one already). A collection with no index of its own (only `_id`) is left alone.
 */
export async function ensureIndexes(
  db: Db,
  set: IndexSet = { indexes: INDEXES, replaced: REPLACED_INDEXES },
): Promise<void> {
  for (const [collection, names] of Object.entries(set.replaced)) {
    const present = await indexNames(db, collection);
    for (const name of names.filter((n) => present.has(n))) {
      await db
        .collection(collection)
        .dropIndex(name)
        .catch((err: unknown) => {
          if (!(err instanceof MongoServerError && err.code === INDEX_NOT_FOUND)) throw err;
        });
    }
  }
  for (const [name, indexes] of Object.entries(set.indexes)) {
    if (indexes.length > 0) await db.collection(name).createIndexes([...indexes]);
  }
}
