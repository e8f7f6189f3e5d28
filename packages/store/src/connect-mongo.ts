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
import { ensureIndexes } from './ensure-indexes.js';
import {
  createMembershipsRepository,
  type MembershipsRepository,
} from './memberships.repository.js';
import { createMessagesRepository, type MessagesRepository } from './messages.repository.js';
import {
  createNotificationsRepository,
  type NotificationsRepository,
} from './notifications.repository.js';
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
  const ownCursors = createOwnCursorWriter(db.collection('memberships'), {
    ...(logger ? { logger } : {}),
  });

  let closing: Promise<void> | undefined;
  return {
    client,
    db,
    users: createUsersRepository(db),
    conversations: createConversationsRepository(db, ownCursors.overlay),
    memberships: createMembershipsRepository(db, ownCursors),
    messages: createMessagesRepository(db),
    attachments: createAttachmentsRepository(db),
    notifications: createNotificationsRepository(db),
    blocks: createBlocksRepository(db),
    async ensureIndexes() {
      await ensureIndexes(db);
      logger?.debug({ dbName: options.dbName }, 'mongo indexes ensured');
    },
    async ping() {
      await db.command({ ping: 1 });
    },
    close() {
      // Queued own-cursor moves go out before the connection does.
      closing ??= ownCursors
        .flush()
        .then(() => client.close())
        .then(() => logger?.info({ dbName: options.dbName }, 'mongo closed'));
      return closing;
    },
  };
}
