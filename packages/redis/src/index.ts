export {
  parseClusterNodes,
  readQueuePrefix,
  readRedisConfig,
  CLUSTER_QUEUE_PREFIX,
  redisEnvOf,
  type AdapterChoice,
  type RedisConfig,
  type RedisTopology,
} from './config.js';
export {
  createRedisClient,
  isCluster,
  redisMajorVersion,
  type CreateRedisClientOptions,
  type RedisClient,
  type RedisRole,
} from './clients.js';
export {
  createAdapterFactory,
  resolveAdapterKind,
  type AdapterFactory,
  type AdapterKind,
} from './adapter.js';
export { commonSlot, groupBySlot, hashTag, slotOf } from './slots.js';
export { conversationKeyBase, rateLimitKeyPrefix } from './shared-keys.js';
export { isRedisUnavailableError } from './errors.js';
export { pipelineResults, runBySlot } from './grouped.js';
export { scriptsNotLoaded } from './script-coverage.js';
export {
  answerMembershipRequests,
  applyMembership,
  MEMBERSHIP_REQUEST,
  roomChannel,
  trackShardedSubscriptions,
  type MembershipRequest,
  type MembershipServer,
  type SubscriptionTracker,
} from './membership-sync.js';
