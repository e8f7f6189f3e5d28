import { messageDelivery, type OfflineDeliveryProducer } from '@chat/jobs';
import type { PresenceStore } from '@chat/presence';
import type { Message } from '@chat/protocol';
import type { SentMessage } from './messages.service.js';

/** One line for a push notification: the text, else what is attached. */
export function messagePreview(message: Message): string {
  if (message.text !== undefined && message.text.trim() !== '') return message.text;
  const [first, ...more] = message.attachments;
  if (!first) return 'New message';
  return more.length > 0 ? `📎 ${first.name} (+${more.length})` : `📎 ${first.name}`;
}

/**
 * The messages service's `onMessageSent` (PROTOCOL §5): one job per member with no live
 * connection anywhere in the cluster. Job ids are `msg-<messageId>-<userId>`, so calling
 * this again for the same message (a client's resend) never delivers twice.
 */
export function createMessageOfflineDelivery(deps: {
  presence: Pick<PresenceStore, 'isOnline'>;
  offlineDelivery: Pick<OfflineDeliveryProducer, 'enqueue'>;
}): (sent: SentMessage) => Promise<void> {
  return async ({ message, recipientIds }) => {
    if (recipientIds.length === 0) return;
    const online = await deps.presence.isOnline(recipientIds);
    const preview = messagePreview(message);
    await deps.offlineDelivery.enqueue(
      recipientIds
        .filter((userId) => !online.has(userId))
        .map((userId) =>
          messageDelivery({
            userId,
            conversationId: message.conversationId,
            messageId: message.id,
            senderId: message.senderId,
            preview,
          }),
        ),
    );
  };
}
