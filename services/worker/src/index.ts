export { loadWorkerConfig, type WorkerConfig } from './config.js';
export { createWorkers, type Workers } from './create-workers.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
export {
  createOfflineDeliveryProcessor,
  isPermanent,
  signBody,
  WebhookRejectedError,
  type DeliveryResult,
} from './processors/offline-delivery.processor.js';
export {
  createPresenceSweepProcessor,
  type SweepResult,
} from './processors/presence-sweep.processor.js';
