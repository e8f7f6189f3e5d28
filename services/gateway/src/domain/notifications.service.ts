import { AppError, type Logger } from '@chat/core';
import {
  mentionDelivery,
  notificationDelivery,
  toPreview,
  type OfflineDeliveryJob,
  type OfflineDeliveryProducer,
} from '@chat/jobs';
import type { PresenceStore } from '@chat/presence';
import type { Notification, NotificationsReadBody, PostNotificationBody } from '@chat/protocol';
import {
  toNotificationDto,
  type ConversationDoc,
  type MongoStore,
  type NotificationDoc,
  type ObjectId,
} from '@chat/store';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';
import type { MentionEvent } from './send/send-message.js';

export interface NotificationsServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  presence: Pick<PresenceStore, 'isOnline'>;
  offlineDelivery: Pick<OfflineDeliveryProducer, 'enqueue'>;
  logger: Logger;
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

/** `type` of the notification a user gets when someone adds them to a group. */
export const MEMBER_ADDED_TYPE = 'conversation.member_added';
/** `type` of the notification of an `@mention` (docs/PROTOCOL.md#section-7). */
export const MENTION_TYPE = 'mention';

/** The offline job of a stored notification: generic, unless it has a webhook form of its own. */
function offlineJobOf(doc: NotificationDoc): OfflineDeliveryJob {
  const data = doc.data ?? {};
  const { conversationId, messageId, senderId } = data;
  if (
    doc.type === MENTION_TYPE &&
    typeof conversationId === 'string' &&
    typeof messageId === 'string' &&
    typeof senderId === 'string'
  ) {
    return mentionDelivery({
      userId: hex(doc.userId),
      conversationId,
      messageId,
      senderId,
      notificationId: hex(doc._id),
      preview: doc.body ?? '',
    });
  }
  return notificationDelivery({
    userId: hex(doc.userId),
    notificationId: hex(doc._id),
    kind: doc.type,
    title: doc.title,
    ...(doc.body !== undefined ? { body: doc.body } : {}),
    ...(doc.data !== undefined ? { data: doc.data } : {}),
  });
}

/**
 * docs/PROTOCOL.md#notifications: stored first (GET finds it whatever happens next), then
 * pushed to every online device, and handed to the offline pipeline (§5) for users with
 * no live connection. The job id is derived from the notification id, so a repeat never
 * delivers twice.
 */
export function createNotificationsService(options: NotificationsServiceOptions) {
  const { store, fanout, presence, offlineDelivery, logger } = options;

  async function deliver(docs: NotificationDoc[]): Promise<Notification[]> {
    const dtos = docs.map(toNotificationDto);
    docs.forEach((doc, i) =>
      fanout.toUsers([hex(doc.userId)], 'notification:new', {
        notification: dtos[i] as Notification,
      }),
    );
    const online = await presence.isOnline(docs.map((d) => hex(d.userId)));
    const offline = docs.filter((d) => !online.has(hex(d.userId)));
    await offlineDelivery.enqueue(offline.map(offlineJobOf));
    return dtos;
  }

  return {
    /** `POST /api/notifications` (service token). */
    async create(input: PostNotificationBody): Promise<Notification> {
      const userId = oid(input.userId, 'userId');
      if (!(await store.users.findById(userId))) throw AppError.notFound('User not found');
      const doc = await store.notifications.create({
        userId,
        type: input.type,
        title: input.title,
        ...(input.body !== undefined ? { body: input.body } : {}),
        ...(input.data !== undefined ? { data: input.data } : {}),
      });
      const [dto] = await deliver([doc]);
      if (!dto) throw new Error('notification vanished');
      return dto;
    },

    async list(
      userHex: string,
      query: { unread?: boolean; limit?: number },
    ): Promise<{ notifications: Notification[] }> {
      const docs = await store.notifications.listForUser(oid(userHex), {
        ...(query.unread !== undefined ? { unread: query.unread } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return { notifications: docs.map(toNotificationDto) };
    },

    /** Ids of other users' notifications are ignored silently: they reveal nothing. */
    async markRead(userHex: string, body: NotificationsReadBody): Promise<void> {
      const target =
        'ids' in body ? { ids: body.ids.map((id) => oid(id, 'ids')) } : { all: true as const };
      await store.notifications.markRead(oid(userHex), target);
    },

    /**
     * The sender's `onMentioned`: a `mention` notification for each mentioned member, live and,
     * for members with no connection, as the `mention` webhook — whether or not the chat is
     * muted. Runs after the message was acknowledged; a failure is logged, never thrown.
     */
    async mentioned(event: MentionEvent): Promise<void> {
      try {
        const sender = await store.users.findById(event.senderId);
        const who = sender?.displayName ?? sender?.username ?? 'Someone';
        const data = {
          conversationId: hex(event.conversationId),
          messageId: hex(event.messageId),
          senderId: hex(event.senderId),
        };
        const docs = await Promise.all(
          event.userIds.map((userId) =>
            store.notifications.create({
              userId,
              type: MENTION_TYPE,
              title: `${who} mentioned you`,
              body: toPreview(event.text),
              data,
            }),
          ),
        );
        await deliver(docs);
      } catch (err) {
        logger.warn(
          { err, conversationId: hex(event.conversationId), messageId: hex(event.messageId) },
          'mention notifications failed',
        );
      }
    },

    /** The conversations service's `onMembersAdded`: "<someone> added you to <group>". */
    async membersAdded(input: {
      conversation: ConversationDoc;
      addedBy: ObjectId;
      userIds: ObjectId[];
    }): Promise<void> {
      const targets = input.userIds.filter((id) => !id.equals(input.addedBy));
      if (targets.length === 0) return;
      const adder = await store.users.findById(input.addedBy);
      const who = adder?.displayName ?? adder?.username ?? 'Someone';
      const group = input.conversation.title ?? 'a group';
      try {
        const docs = await Promise.all(
          targets.map((userId) =>
            store.notifications.create({
              userId,
              type: MEMBER_ADDED_TYPE,
              title: `${who} added you to ${group}`,
              data: { conversationId: hex(input.conversation._id), addedBy: hex(input.addedBy) },
            }),
          ),
        );
        await deliver(docs);
      } catch (err) {
        // The membership change already happened and was announced; failing the request
        // now would make the caller retry an add that succeeded.
        logger.warn(
          { err, conversationId: hex(input.conversation._id) },
          'member-added notifications failed',
        );
      }
    },
  };
}
