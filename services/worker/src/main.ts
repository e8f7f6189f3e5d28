import { createServer, type Server } from 'node:http';
import { createLogger } from '@chat/core';
import {
  createOfflineDeliveryProducer,
  schedulePresenceSweep,
  type OfflineDeliveryProducer,
} from '@chat/jobs';
import { createPresenceStore } from '@chat/presence';
import type { ServerToClientEvents } from '@chat/protocol';
import { connectMongo } from '@chat/store';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { createWorkers } from './create-workers.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { createOfflineDeliveryProcessor } from './processors/offline-delivery.processor.js';
import { createPresenceSweepProcessor } from './processors/presence-sweep.processor.js';

/** Queue depth is read at scrape time; a stalled Redis must not hang the scrape. */
async function refreshQueueDepth(
  metrics: WorkerMetrics,
  queue: OfflineDeliveryProducer,
): Promise<void> {
  const depth = await Promise.race([
    queue.depth().catch(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
  ]);
  if (!depth) return;
  metrics.queueJobs.set({ state: 'pending' }, depth.pending);
  metrics.queueJobs.set({ state: 'failed' }, depth.failed);
}

function serveMetrics(
  metrics: WorkerMetrics,
  queue: OfflineDeliveryProducer,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    refreshQueueDepth(metrics, queue)
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
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  const metrics = createWorkerMetrics();
  // BullMQ's blocking commands need maxRetriesPerRequest: null; presence/emitter use a normal client.
  const queueRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const redis = new Redis(config.redisUrl);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  queueRedis.on('error', (err) => logger.warn({ err: err.message }, 'redis (queues) error'));
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
  const emitter = new Emitter<ServerToClientEvents>(redis);

  const workers = createWorkers({
    config,
    connection: queueRedis,
    logger,
    metrics,
    deliver: createOfflineDeliveryProcessor({ webhook: config.webhook, logger, metrics }),
    sweep: createPresenceSweepProcessor({ presence, store, emitter, logger, metrics }),
  });
  await schedulePresenceSweep({
    connection: queueRedis,
    prefix: config.queuePrefix,
    everyMs: config.presence.sweepIntervalMs,
  });
  // Used only to read the queue's depth for /metrics.
  const queueView = createOfflineDeliveryProducer({
    connection: redis,
    prefix: config.queuePrefix,
  });
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(metrics, queueView, config.metricsPort);
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
    workers
      .close()
      .then(async () => {
        metricsServer?.close();
        await queueView.close();
        await store.close();
        await Promise.all([redis.quit(), queueRedis.quit()]);
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
