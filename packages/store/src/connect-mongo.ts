import { MongoClient, type Db } from 'mongodb';
import {
  createAttachmentsRepository,
  type AttachmentsRepository,
} from './attachments.repository.js';
import { createBlocksRepository, type BlocksRepository } from './blocks.repository.js';
import {
  createConversationsRepository,
  type ConversationsRepository,
} from './conversations.repository.js';
import { createOwnCursorWriter } from './batching/own-cursor-writer.js';
import { backfillClientMsgIds } from './client-msg-ids.js';
import { ensureIndexes } from './ensure-indexes.js';
import { indexSetFor } from './sharded-indexes.js';
import {
  createMembershipsRepository,
  type MembershipsRepository,
} from './memberships.repository.js';
import { createMessagesRepository, type MessagesRepository } from './messages.repository.js';
import {
  createNotificationsRepository,
  type NotificationsRepository,
} from './notifications.repository.js';
import { createSessionsRepository, type SessionsRepository } from './sessions.repository.js';
import type { StoreLogger } from './types.js';
import { createUsersRepository, type UsersRepository } from './users.repository.js';

export interface ConnectMongoOptions {
  url: string;
  dbName: string;
  /** How long an operation waits for a reachable server before failing (→ UNAVAILABLE). @default 5000 */
  serverSelectionTimeoutMS?: number;
  /**
   * The driver default is infinite: a half-dead server would hang requests forever. This is the
   * only bound on a frozen server: driver 7.x ignores the client-wide `timeoutMS` (it logs a
   * deprecation warning and does nothing), so an operation waits up to this per attempt.
   * @default 10000
   */
  socketTimeoutMS?: number;
  /** @default 20 */
  maxPoolSize?: number;
  /** Sent in the handshake; shows up in server logs/currentOp. @default 'chat' */
  appName?: string;
  /**
   * How long the written-behind parts of a send (the conversation's seq and preview, the
   * sender's own cursors) wait to share one write. Other nodes see them this much plus one
   * write later; this node at once. @default 500
   */
  writeBehindMs?: number;
  /**
   * The deployment shards its collections (MONGO_SHARDED; docs/SCALING.md "MongoDB: sharding
   * plan"): every unique index starts with its shard key, and a send's insert batch pays a
   * second command for the cross-conversation clientMsgId rule. Every node of a deployment
   * must agree. @default false
   */
  sharded?: boolean;
  logger?: StoreLogger;
}

export interface MongoStore {
  readonly client: MongoClient;
  readonly db: Db;
  readonly users: UsersRepository;
  readonly conversations: ConversationsRepository;
  readonly memberships: MembershipsRepository;
  readonly messages: MessagesRepository;
  readonly attachments: AttachmentsRepository;
  readonly notifications: NotificationsRepository;
  readonly blocks: BlocksRepository;
  /** Sign-in sessions and their refresh tokens (docs/PROTOCOL.md#section-7). */
  readonly sessions: SessionsRepository;
  /** Creates every index; safe to call on every start and from several nodes at once. */
  ensureIndexes(): Promise<void>;
  /** Round-trip to the server (readiness checks); rejects when unreachable. */
  ping(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Connects (fails after serverSelectionTimeoutMS if nothing answers) and builds the repositories. */
export async function connectMongo(options: ConnectMongoOptions): Promise<MongoStore> {
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    socketTimeoutMS: options.socketTimeoutMS ?? 10_000,
    maxPoolSize: options.maxPoolSize ?? 20,
    appName: options.appName ?? 'chat',
  });
  const logger = options.logger;
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  const db = client.db(options.dbName);
  logger?.info({ dbName: options.dbName }, 'mongo connected');
  // Shared: the conversation views read the cursors the memberships repository writes behind.
  const writeBehindMs = options.writeBehindMs ?? 500;
  const sharded = options.sharded ?? false;
  const ownCursors = createOwnCursorWriter(db.collection('memberships'), {
    delayMs: writeBehindMs,
    ...(logger ? { logger } : {}),
  });
  const conversations = createConversationsRepository(db, {
    currentMembership: ownCursors.overlay,
    activityDelayMs: writeBehindMs,
    ...(logger ? { logger } : {}),
  });

  let closing: Promise<void> | undefined;
  return {
    client,
    db,
    users: createUsersRepository(db),
    conversations,
    memberships: createMembershipsRepository(db, ownCursors),
    messages: createMessagesRepository(db, { sharded }),
    attachments: createAttachmentsRepository(db),
    notifications: createNotificationsRepository(db),
    blocks: createBlocksRepository(db),
    sessions: createSessionsRepository(db),
    async ensureIndexes() {
      if (sharded) {
        const backfilled = await backfillClientMsgIds(db);
        if (backfilled > 0)
          logger?.info({ backfilled }, 'clientMsgIds backfilled for sharded mode');
      }
      await ensureIndexes(db, indexSetFor(sharded));
      logger?.debug({ dbName: options.dbName }, 'mongo indexes ensured');
    },
    async ping() {
      await db.command({ ping: 1 });
    },
    close() {
      // Queued write-behind goes out before the connection does.
      closing ??= Promise.all([ownCursors.flush(), conversations.flushActivity()])
        .then(() => client.close())
        .then(() => logger?.info({ dbName: options.dbName }, 'mongo closed'));
      return closing;
    },
  };
}
