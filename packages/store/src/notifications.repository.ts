import { LIMITS } from '@chat/protocol';
import { ObjectId, type Db, type Filter } from 'mongodb';
import { clampLimit } from './regex.js';
import type { NotificationDoc } from './types.js';
import { compact } from './util.js';

export interface CreateNotificationInput {
  userId: ObjectId;
  type: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
  /** @default new Date() */
  createdAt?: Date;
}

export interface NotificationsRepository {
  create(input: CreateNotificationInput): Promise<NotificationDoc>;
  findById(id: ObjectId): Promise<NotificationDoc | null>;
  /** Newest first. @default limit 50, max 100 */
  listForUser(
    userId: ObjectId,
    opts?: { unread?: boolean; limit?: number; before?: Date },
  ): Promise<NotificationDoc[]>;
  /** Marks the user's own notifications read (ids of other users are ignored); returns how many changed. */
  markRead(
    userId: ObjectId,
    target: { ids: readonly ObjectId[] } | { all: true },
    at?: Date,
  ): Promise<number>;
  /** The worker records a successful offline delivery; false if already marked or missing. */
  markDelivered(id: ObjectId, at?: Date): Promise<boolean>;
  countUnread(userId: ObjectId): Promise<number>;
}

export function createNotificationsRepository(db: Db): NotificationsRepository {
  const collection = db.collection<NotificationDoc>('notifications');
  return {
    async create(input) {
      const doc: NotificationDoc = compact({
        _id: new ObjectId(),
        userId: input.userId,
        type: input.type,
        title: input.title,
        body: input.body,
        data: input.data,
        read: false,
        createdAt: input.createdAt ?? new Date(),
      });
      await collection.insertOne(doc);
      return doc;
    },

    findById: (id) => collection.findOne({ _id: id }),

    listForUser(userId, opts = {}) {
      const filter: Filter<NotificationDoc> = { userId };
      if (opts.unread === true) filter.read = false;
      if (opts.before) filter.createdAt = { $lt: opts.before };
      return collection
        .find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .limit(
          clampLimit(opts.limit, LIMITS.notificationsLimitDefault, LIMITS.notificationsLimitMax),
        )
        .toArray();
    },

    async markRead(userId, target, at = new Date()) {
      const filter: Filter<NotificationDoc> = { userId, read: false };
      if ('ids' in target) {
        if (target.ids.length === 0) return 0;
        filter._id = { $in: [...target.ids] };
      }
      const res = await collection.updateMany(filter, { $set: { read: true, readAt: at } });
      return res.modifiedCount;
    },

    async markDelivered(id, at = new Date()) {
      const res = await collection.updateOne(
        { _id: id, deliveredAt: { $exists: false } },
        { $set: { deliveredAt: at } },
      );
      return res.modifiedCount > 0;
    },

    countUnread: (userId) => collection.countDocuments({ userId, read: false }),
  };
}
