export { connectMongo, type ConnectMongoOptions, type MongoStore } from './connect-mongo.js';
export { ensureIndexes, INDEXES, type IndexSet } from './ensure-indexes.js';
export { indexSetFor, SHARDED_INDEXES } from './sharded-indexes.js';
export { SHARD_KEYS, shardKeyOf, type ShardKey, type ShardPlan } from './shard-keys.js';
export {
  DuplicateKeyError,
  isDuplicateKeyError,
  isMongoUnavailableError,
  mapDuplicate,
  toStoreError,
  unwrapBulkError,
  WriteFailedError,
} from './errors.js';
export { clampLimit, escapeRegex, prefixPattern } from './regex.js';
export { MAX_TERMS_PER_MESSAGE, termsOf } from './search-terms.js';
export { decodeActivityCursor, encodeActivityCursor, type ActivityCursor } from './cursor.js';
export { compact, parseObjectId, uniqueIds } from './util.js';
export * from './types.js';
export * from './dto.js';
export {
  createUsersRepository,
  usernameCandidate,
  type CreateUserInput,
  type UsersRepository,
} from './users.repository.js';
export { createBlocksRepository, type BlocksRepository } from './blocks.repository.js';
export {
  createConversationsRepository,
  InvalidCursorError,
  type ConversationPage,
  type ConversationsRepository,
  type ConversationView,
  type PreviewRevision,
} from './conversations.repository.js';
export {
  createMembershipsRepository,
  type AddMemberInput,
  type CursorMove,
  type MembershipsRepository,
} from './memberships.repository.js';
export {
  createMessagesRepository,
  MAX_KEPT_EDITS,
  type HistoryPage,
  type HistoryQuery,
  type InsertMessageInput,
  type MessagesRepository,
  type MessagesRepositoryOptions,
} from './messages.repository.js';
export { MAX_DISTINCT_EMOJI, type AddReactionResult, type ReactionSummary } from './reactions.js';
export {
  createAttachmentsRepository,
  type AttachmentsRepository,
  type CreateAttachmentInput,
} from './attachments.repository.js';
export {
  createNotificationsRepository,
  type CreateNotificationInput,
  type NotificationsRepository,
} from './notifications.repository.js';
export {
  createSessionsRepository,
  type CreateSessionInput,
  type RefreshTokenDoc,
  type RotateResult,
  type SessionDoc,
  type SessionsRepository,
} from './sessions.repository.js';
export type { ConversationActivity } from './batching/conversation-activity-writer.js';
export { ObjectId } from 'mongodb';
