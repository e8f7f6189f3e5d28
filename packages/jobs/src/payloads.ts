import { LIMITS } from '@chat/protocol';
/**
 * Offline-delivery job payloads. The job data IS the webhook body (docs/PROTOCOL.md#section-5),
 * so its fields are the public contract: change them only with PROTOCOL.md.
 */
export interface MessageDeliveryJob {
  type: 'message';
  /** Stable per (message, user); also the BullMQ job id and `X-Chat-Delivery-Id`. */
  deliveryId: string;
  userId: string;
  conversationId: string;
  messageId: string;
  senderId: string;
  /** Start of the text (or e.g. "📎 photo.jpg"), at most {@link MAX_PREVIEW_LENGTH} chars. */
  preview: string;
}

export interface NotificationDeliveryJob {
  type: 'notification';
  deliveryId: string;
  userId: string;
  notificationId: string;
  /** The notification's own `type` (`type` here is the job kind). */
  kind: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
}

/** A member was `@mentioned` (docs/PROTOCOL.md#section-7); sent also when the chat is muted. */
export interface MentionDeliveryJob {
  type: 'mention';
  /** Stable per (message, mentioned user). */
  deliveryId: string;
  userId: string;
  conversationId: string;
  messageId: string;
  senderId: string;
  /** The stored `mention` notification (GET /api/notifications). */
  notificationId: string;
  preview: string;
}

export type OfflineDeliveryJob = MessageDeliveryJob | NotificationDeliveryJob | MentionDeliveryJob;

export const MAX_PREVIEW_LENGTH = LIMITS.webhookPreviewMaxChars;

/*
 * BullMQ rejects custom job ids that are integers or contain ':' (job.js validateOptions
 * in 5.x: ':' only passes for legacy repeat ids with exactly two colons), so ids use '-'.
 * Mongo ObjectId hex never contains '-', so the parts stay unambiguous.
 */
export function messageDeliveryId(messageId: string, userId: string): string {
  return `msg-${messageId}-${userId}`;
}

export function notificationDeliveryId(notificationId: string, userId: string): string {
  return `ntf-${notificationId}-${userId}`;
}

export function mentionDeliveryId(messageId: string, userId: string): string {
  return `mnt-${messageId}-${userId}`;
}

/** Truncates on a code-point boundary, adding an ellipsis when cut. */
export function toPreview(text: string, max: number = MAX_PREVIEW_LENGTH): string {
  const chars = [...text.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** One line for a push notification: the text, else what is attached. */
export function webhookPreviewOf(
  text: string | undefined,
  attachmentNames: readonly string[],
): string {
  if (text !== undefined && text.trim() !== '') return toPreview(text);
  const [first, ...more] = attachmentNames;
  if (first === undefined) return 'New message';
  return toPreview(more.length > 0 ? `📎 ${first} (+${more.length})` : `📎 ${first}`);
}

export function messageDelivery(
  input: Omit<MessageDeliveryJob, 'type' | 'deliveryId'>,
): MessageDeliveryJob {
  return {
    type: 'message',
    deliveryId: messageDeliveryId(input.messageId, input.userId),
    ...input,
    preview: toPreview(input.preview),
  };
}

export function notificationDelivery(
  input: Omit<NotificationDeliveryJob, 'type' | 'deliveryId'>,
): NotificationDeliveryJob {
  return {
    type: 'notification',
    deliveryId: notificationDeliveryId(input.notificationId, input.userId),
    ...input,
  };
}

export function mentionDelivery(
  input: Omit<MentionDeliveryJob, 'type' | 'deliveryId'>,
): MentionDeliveryJob {
  return {
    type: 'mention',
    deliveryId: mentionDeliveryId(input.messageId, input.userId),
    ...input,
    preview: toPreview(input.preview),
  };
}
