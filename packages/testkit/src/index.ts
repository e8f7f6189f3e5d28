export { getFreePort, getFreePortBlock, isPortOpen } from './ports.js';
export {
  waitFor,
  waitForEvent,
  waitForHttp,
  type EventSource,
  type WaitForOptions,
  type WaitForEventOptions,
  type WaitForHttpOptions,
} from './wait.js';
export {
  spawnManaged,
  spawnTsEntry,
  startError,
  TS_SOURCE_ARGS,
  waitUntilReady,
  type ExitInfo,
  type ManagedProcess,
  type SpawnManagedOptions,
  type SpawnTsEntryOptions,
} from './managed-process.js';
export {
  startRedis,
  type RedisServer,
  type RedisSnapshot,
  type StartRedisOptions,
} from './redis.js';
export {
  renderNginxConfig,
  NGINX_PREFIX_DIRECTIVES,
  type NginxClusterConfig,
  type NginxUpstream,
} from './nginx-config.js';
export {
  startNginx,
  type NginxConfigSource,
  type NginxServer,
  type StartNginxOptions,
} from './nginx.js';
export { startMongo, type MongoFixture, type MongoKind } from './mongo.js';
export { startRedisAndMongo, type RedisAndMongo } from './redis-and-mongo.js';
export {
  startWebhookReceiver,
  type WebhookDelivery,
  type WebhookReceiver,
} from './webhook-receiver.js';
export {
  startRedisCluster,
  type RedisCluster,
  type RedisClusterNode,
  type StartRedisClusterOptions,
} from './redis-cluster.js';
export { startRedisBackend, type RedisBackend, type RedisKind } from './redis-backend.js';
export { generateSelfSignedCert, type CertificatePair } from './tls.js';
export {
  startRedisClusterWithClient,
  type RedisClusterWithClient,
} from './redis-cluster-client.js';
export { failureLogStream, takeFailureLogs } from './failure-logs.js';
export { GENEROUS_LIMITS, isAlive, repoRoot, startWorker } from './repo-processes.js';
export {
  authenticate,
  httpJson,
  registerUser,
  type Authed,
  type JsonResponse,
  type RegisteredUser,
} from './http-json.js';
