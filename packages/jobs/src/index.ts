export { DEFAULT_QUEUE_PREFIX, PRESENCE_SWEEP_SCHEDULER_ID, QUEUES } from './names.js';
export {
  MAX_PREVIEW_LENGTH,
  mentionDelivery,
  mentionDeliveryId,
  messageDelivery,
  messageDeliveryId,
  notificationDelivery,
  notificationDeliveryId,
  toPreview,
  webhookPreviewOf,
  type MentionDeliveryJob,
  type MessageDeliveryJob,
  type NotificationDeliveryJob,
  type OfflineDeliveryJob,
} from './payloads.js';
export {
  COMPLETED_RETENTION_S,
  DEFAULT_OFFLINE_DELIVERY_ATTEMPTS,
  DEFAULT_OFFLINE_DELIVERY_BACKOFF_MS,
  FAILED_RETENTION_S,
  OFFLINE_DELIVERY_BACKOFF_TYPE,
  offlineDeliveryBackoffMs,
  offlineDeliveryJobOptions,
  type OfflineDeliveryRetryOptions,
} from './options.js';
export {
  createOfflineDeliveryProducer,
  type OfflineDeliveryProducer,
  type OfflineDeliveryProducerOptions,
} from './producer.js';
export {
  schedulePresenceSweep,
  type PresenceSweepJob,
  type PresenceSweepScheduleOptions,
} from './presence-sweep.js';
