import { Type, type Static } from '@sinclair/typebox';
import { ObjectIdString } from './ids.js';
import { LIMITS } from './limits.js';

/** Headers of the offline-delivery webhook POST (docs/PROTOCOL.md#section-5). */
export const WEBHOOK_SIGNATURE_HEADER = 'X-Chat-Signature';
export const WEBHOOK_DELIVERY_ID_HEADER = 'X-Chat-Delivery-Id';
/** Signature value is `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const WEBHOOK_SIGNATURE_PREFIX = 'sha256=';

/**
 * Body POSTed to NOTIFY_WEBHOOK_URL for a member with no live connection.
 * `deliveryId` is stable per (message, user) so receivers can drop repeats.
 * `preview` is a short plain-text line for a push notification (≤ 140 chars): the
 * message text shortened, or a placeholder such as "📷 Photo" for attachments.
 */
export const OfflineMessageWebhook = Type.Object({
  type: Type.Literal('message'),
  deliveryId: Type.String({ minLength: 1 }),
  userId: ObjectIdString,
  conversationId: ObjectIdString,
  messageId: ObjectIdString,
  senderId: ObjectIdString,
  preview: Type.String({ maxLength: LIMITS.webhookPreviewMaxChars }),
});
export type OfflineMessageWebhook = Static<typeof OfflineMessageWebhook>;

/** Body POSTed for a member `@mentioned` while offline (docs/PROTOCOL.md#section-7), also in a muted chat. */
export const OfflineMentionWebhook = Type.Object({
  type: Type.Literal('mention'),
  deliveryId: Type.String({ minLength: 1 }),
  userId: ObjectIdString,
  conversationId: ObjectIdString,
  messageId: ObjectIdString,
  senderId: ObjectIdString,
  notificationId: ObjectIdString,
  preview: Type.String({ maxLength: LIMITS.webhookPreviewMaxChars }),
});
export type OfflineMentionWebhook = Static<typeof OfflineMentionWebhook>;
