/**
 * The MongoDB sharding plan (docs/SCALING.md "MongoDB: sharding plan"), in one place: each
 * collection's ranged shard key, or `unsharded` with the reason. Tests hold the indexes
 * (a unique index must start with its collection's shard key: MongoDB enforces uniqueness per
 * shard only) and the hot-path queries (each must name the shard key, so it targets one shard)
 * to it.
 */
export type ShardKey = readonly string[];

export interface ShardPlan {
  readonly key: ShardKey | 'unsharded';
  readonly why: string;
}

export const SHARD_KEYS: Readonly<Record<string, ShardPlan>> = {
  messages: {
    // Not (conversationId, seq): an idempotency index scoped to the conversation would have to
    // start with the whole shard key. The cost: one conversation is one chunk range.
    key: ['conversationId'],
    why: 'history, sync, catch-up and the send insert name one conversation',
  },
  // Sharded mode's proxy (client-msg-ids.ts): one document per (sender, clientMsgId), so its
  // `_id` is the whole key and the cross-conversation rule is one shard's unique `_id`.
  clientMsgIds: {
    key: ['_id'],
    why: 'the (senderId, clientMsgId) idempotency rule: inserted and read by that pair only',
  },
  memberships: {
    key: ['userId'],
    why: 'conversation lists and a socket’s rooms read by user; members-of is cached per node',
  },
  conversations: {
    key: 'unsharded',
    why: 'directKey must stay unique cluster-wide (race-free direct get-or-create); one small document per conversation',
  },
  notifications: { key: ['userId'], why: 'listed and marked read per user' },
  reactions: { key: ['messageId'], why: 'read and written per message' },
  attachments: { key: ['uploaderId'], why: 'owned and checked per uploader' },
  sessions: { key: ['userId'], why: 'listed and revoked per user' },
  users: { key: 'unsharded', why: 'small, and usernameLower must stay unique cluster-wide' },
  blocks: { key: 'unsharded', why: 'small; both directions are read' },
  refresh_tokens: {
    key: 'unsharded',
    why: 'one per live session, looked up by a hash that must stay unique cluster-wide',
  },
};

/** The shard key of a sharded collection; undefined for an unsharded (or unknown) one. */
export function shardKeyOf(collection: string): ShardKey | undefined {
  const plan = SHARD_KEYS[collection];
  return plan && plan.key !== 'unsharded' ? plan.key : undefined;
}
