import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { createLogger } from '@chat/core';
import {
  createOfflineDeliveryProducer,
  schedulePresenceSweep,
  type OfflineDeliveryProducer,
} from '@chat/jobs';
import { createPresenceStore } from '@chat/presence';
import { createHandoffStream, createSendKeys, type HandoffStream } from '@chat/send-state';
import { connectMongo } from '@chat/store';
import { createRedisClient, resolveAdapterKind, type RedisRole } from '@chat/redis';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { createWorkers } from './create-workers.js';
import { createMessageHandoff } from './handoff/message-handoff.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { createOfflineDeliveryProcessor } from './processors/offline-delivery.processor.js';
import { createPresenceSweepProcessor } from './processors/presence-sweep.processor.js';
import { createRoomEmitter } from './room-emitter.js';

/** At most this long for a read at scrape time: a stalled Redis must not hang the scrape. */
function withinASecond<T>(read: Promise<T>): Promise<T | undefined> {
  return Promise.race([
    read.catch(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
  ]);
}

/** Queue depth and hand-off backlog are read at scrape time. */
async function refreshQueueDepth(
  metrics: WorkerMetrics,
  queue: OfflineDeliveryProducer,
  handoff: HandoffStream,
): Promise<void> {
  const [depth, backlog] = await Promise.all([
    withinASecond(queue.depth()),
    withinASecond(handoff.length()),
  ]);
  if (backlog !== undefined) metrics.handoffBacklog.set(backlog);
  if (!depth) return;
  metrics.queueJobs.set({ state: 'pending' }, depth.pending);
  metrics.queueJobs.set({ state: 'failed' }, depth.failed);
}

function serveMetrics(
  metrics: WorkerMetrics,
  queue: OfflineDeliveryProducer,
  handoff: HandoffStream,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    refreshQueueDepth(metrics, queue, handoff)
      .then(() => metrics.registry.metrics())
      .then((text) =>
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      )
      .catch(() => res.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

async function main(config: WorkerConfig): Promise<void> {
  const logger = createLogger({
    name: 'worker',
    level: config.logLevel,
    // Coloured lines for a person at a terminal; JSON for pipes (the npm start runner, log collectors) and production.
    pretty: process.stdout.isTTY === true && process.env.NODE_ENV !== 'production',
  });
  const metrics = createWorkerMetrics();
  const client = (role: RedisRole, name: string, sharded = false) =>
    createRedisClient(config.redis, {
      role,
      name: `worker-${process.pid}:${name}`,
      logger,
      sharded,
    });
  // BullMQ's blocking commands need maxRetriesPerRequest: null; presence/emitter use a normal client.
  const queueRedis = client('blocking', 'queues');
  const redis = client('commands', 'cmd');
  const store = await connectMongo({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    appName: 'chat-worker',
    logger,
  });
  const presence = createPresenceStore({
    redis,
    prefix: config.presence.prefix,
    ttlMs: config.presence.ttlMs,
  });
  // The gateways' adapter kind: `auto` resolves the same way on the same Redis.
  const adapter = await resolveAdapterKind(config.redis.adapter, redis);
  const rooms = createRoomEmitter(adapter, redis, () => client('sub', 'sub', true));
  // The hand-off read blocks its connection while the stream is empty.
  const handoffRedis = client('blocking', 'handoff');
  const handoffStream = createHandoffStream({
    redis: handoffRedis,
    key: createSendKeys(config.redisPrefix).handoff(),
    consumer: `${hostname()}-${process.pid}`,
  });
  // Jobs are queued on the command connection; the blocking reads keep their own.
  const offlineDelivery = createOfflineDeliveryProducer({
    connection: redis,
    prefix: config.queuePrefix,
  });
  const handoff = createMessageHandoff({
    stream: handoffStream,
    store,
    presence,
    offlineDelivery,
    logger,
    metrics,
    ...config.handoff,
  });

  const workers = createWorkers({
    config,
    connection: queueRedis,
    logger,
    metrics,
    deliver: createOfflineDeliveryProcessor({ webhook: config.webhook, logger, metrics }),
    sweep: createPresenceSweepProcessor({
      presence,
      store,
      emitter: rooms.emitter,
      logger,
      metrics,
    }),
  });
  await schedulePresenceSweep({
    connection: queueRedis,
    prefix: config.queuePrefix,
    everyMs: config.presence.sweepIntervalMs,
  });
  handoff.start();
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(metrics, offlineDelivery, handoffStream, config.metricsPort);
  const address = metricsServer?.address();
  logger.info(
    {
      pid: process.pid,
      metricsPort: typeof address === 'object' && address ? address.port : undefined,
      webhook: config.webhook.url !== undefined,
    },
    'worker ready',
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping: finishing active jobs');
    const hardStop = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'worker shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    hardStop.unref();
    Promise.all([workers.close(), handoff.stop()])
      .then(async () => {
        metricsServer?.close();
        await offlineDelivery.close();
        await rooms.close();
        await store.close();
        await Promise.all([redis.quit(), queueRedis.quit(), handoffRedis.quit()]);
        logger.info('worker stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'worker shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

let config: WorkerConfig;
try {
  config = loadWorkerConfig(process.env);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
main(config).catch((err: unknown) => {
  process.stderr.write(
    `worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
