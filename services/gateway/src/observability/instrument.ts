import type { Logger } from '@chat/core';
import type { RedisClient } from '@chat/redis';
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { InFlightTracker } from '../drain.js';
import type { HandlerObserver } from '../realtime/define-handler.js';
import type { ChatServer } from '../realtime/types.js';
import type { GatewayMetrics } from './metrics.js';
import { FANOUT_PROBE_CHANNEL } from '../redis-state/keys.js';

export interface InstrumentOptions {
  app: FastifyInstance;
  io: ChatServer;
  deps: Pick<GatewayDeps, 'redis' | 'pub' | 'sub' | 'adapter' | 'store' | 'offlineDelivery'>;
  metrics: GatewayMetrics;
  inFlight: InFlightTracker;
  logger: Logger;
  /** How often this node publishes a fan-out probe to the others. @default 5000 */
  probeIntervalMs?: number;
}

export interface Instrumentation {
  /** Passed to attachRealtime: counts events, times sends, tracks in-flight handlers. */
  observe: HandlerObserver;
  close(): void;
}

const PROBE_CHANNEL = FANOUT_PROBE_CHANNEL;
const PROBE_CHANNEL_BYTES = Buffer.from(PROBE_CHANNEL);
const QUEUE_DEPTH_TIMEOUT_MS = 1000;

/**
 * Counts every command a client sends. ioredis has no hook for this; single commands,
 * pipelines and auto-pipelined batches all go through `sendCommand`, so that is wrapped.
 */
function countCommands(client: RedisClient, count: () => void): void {
  // Both client classes route every command through sendCommand(command, stream?).
  const target = client as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (...args: unknown[]) => {
    count();
    return send(...args);
  };
}

/**
 * Wires the node's metrics: socket events, HTTP statuses, dependency state (logged once per
 * change, not per request), adapter reconnects, a cross-node fan-out probe, and GET /metrics.
 */
export function instrumentNode(options: InstrumentOptions): Instrumentation {
  const { app, io, deps, metrics, inFlight } = options;
  countCommands(deps.redis, () => metrics.redisCommands.inc({ connection: 'cmd' }));
  countCommands(deps.pub, () => metrics.redisCommands.inc({ connection: 'pub' }));

  const observe: HandlerObserver = (event) => {
    const done = inFlight.start();
    const startedAt = process.hrtime.bigint();
    return (result) => {
      done();
      metrics.events.inc({ event, result });
      if (result === 'RATE_LIMITED') metrics.rateLimited.inc({ scope: 'socket' });
      if (event === 'message:send') {
        metrics.sendAckSeconds.observe(
          { result },
          Number(process.hrtime.bigint() - startedAt) / 1e9,
        );
      }
    };
  };

  app.addHook('onResponse', async (_request, reply) => {
    metrics.httpRequests.inc({ status: String(reply.statusCode) });
    if (reply.statusCode === 429) metrics.rateLimited.inc({ scope: 'http' });
  });

  const dependency = trackDependencies(options);

  // Every fan-out crosses nodes through Redis pub/sub on the adapter's subscriber; a
  // timestamped probe on the same connections measures it without touching each message
  // (nodes share a clock on one host; across hosts the histogram also shows clock skew,
  // which NTP keeps to a few ms). Published directly rather than with serverSideEmit,
  // whose publish rejection (a stalled Redis) nobody could catch.
  // Buffers: this listener sees every adapter message, so it must not decode them all.
  const onProbe = (channel: Buffer, message: Buffer) => {
    if (!channel.equals(PROBE_CHANNEL_BYTES)) return;
    const sentAt = Number(message.toString());
    if (Number.isFinite(sentAt)) {
      metrics.fanoutSeconds.observe(Math.max(0, Date.now() - sentAt) / 1000);
    }
  };
  // One Redis connection must not mix SUBSCRIBE with the sharded adapter's SSUBSCRIBE: ioredis
  // counts a SUNSUBSCRIBE reply of 0 as "no subscriptions left" and then misreads the next
  // message (Command queue state error). With the sharded adapter the probe is sharded too.
  const sharded = deps.adapter === 'sharded';
  deps.sub.on(sharded ? 'smessageBuffer' : 'messageBuffer', onProbe);
  // What the adapter hands this node: every broadcast on the classic adapter, only the rooms
  // with a local socket (plus cluster-wide requests) on the sharded one (docs/SCALING.md).
  const count = (kind: 'classic' | 'sharded', channel: Buffer, message: Buffer) => {
    metrics.adapterPackets.inc({ kind });
    metrics.adapterBytes.inc({ kind }, channel.length + message.length);
  };
  const countClassic = (_pattern: Buffer, channel: Buffer, message: Buffer) =>
    count('classic', channel, message);
  const countSharded = (channel: Buffer, message: Buffer) => {
    if (!channel.equals(PROBE_CHANNEL_BYTES)) count('sharded', channel, message);
  };
  deps.sub.on('pmessageBuffer', countClassic);
  deps.sub.on('smessageBuffer', countSharded);
  (sharded ? deps.sub.ssubscribe(PROBE_CHANNEL) : deps.sub.subscribe(PROBE_CHANNEL)).catch(
    (err: unknown) => options.logger.debug({ err }, 'fan-out probe: subscribe failed'),
  );
  const probe = setInterval(() => {
    if (deps.pub.status !== 'ready') return;
    const sent = sharded
      ? deps.pub.spublish(PROBE_CHANNEL, String(Date.now()))
      : deps.pub.publish(PROBE_CHANNEL, String(Date.now()));
    sent.catch(() => {
      // Redis is down or stalled: the dependency metrics already say so.
    });
  }, options.probeIntervalMs ?? 5000);
  probe.unref();

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    metrics.connectedSockets.set(io.of('/').sockets.size);
    metrics.inFlightHandlers.set(inFlight.count);
    const depth = await Promise.race([
      deps.offlineDelivery.depth().catch(() => undefined),
      new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), QUEUE_DEPTH_TIMEOUT_MS).unref(),
      ),
    ]);
    if (depth) {
      metrics.queueJobs.set({ state: 'pending' }, depth.pending);
      metrics.queueJobs.set({ state: 'failed' }, depth.failed);
    }
    return reply
      .header('content-type', metrics.registry.contentType)
      .send(await metrics.registry.metrics());
  });

  return {
    observe,
    close() {
      clearInterval(probe);
      deps.sub.off(sharded ? 'smessageBuffer' : 'messageBuffer', onProbe);
      deps.sub.off('pmessageBuffer', countClassic);
      deps.sub.off('smessageBuffer', countSharded);
      dependency.close();
    },
  };
}

function trackDependencies({ deps, metrics, logger }: InstrumentOptions): { close(): void } {
  metrics.dependencyUp.set({ dependency: 'redis' }, deps.redis.status === 'ready' ? 1 : 0);
  metrics.dependencyUp.set({ dependency: 'mongo' }, 1);
  for (const client of [deps.redis, deps.pub, deps.sub]) {
    client.on('error', () => metrics.dependencyErrors.inc({ dependency: 'redis' }));
  }
  deps.redis.on('ready', () => metrics.dependencyUp.set({ dependency: 'redis' }, 1));
  deps.redis.on('close', () => metrics.dependencyUp.set({ dependency: 'redis' }, 0));

  // ioredis re-subscribes by itself on reconnect; count it so ops see adapter flaps.
  let subLost = false;
  const onSubClose = () => {
    if (!subLost)
      logger.warn('adapter subscriber lost its Redis connection; cross-node events pause');
    subLost = true;
  };
  const onSubReady = () => {
    if (!subLost) return;
    subLost = false;
    metrics.adapterReconnects.inc();
    logger.info('adapter subscriber reconnected; subscriptions restored');
  };
  deps.sub.on('close', onSubClose);
  deps.sub.on('ready', onSubReady);

  // The driver's monitor heartbeats the server (every 10 s, faster while it is down).
  let mongoUp = true;
  const mongo = deps.store.client;
  const onHeartbeatFailed = (event: { failure?: unknown }) => {
    metrics.dependencyErrors.inc({ dependency: 'mongo' });
    if (!mongoUp) return;
    mongoUp = false;
    metrics.dependencyUp.set({ dependency: 'mongo' }, 0);
    logger.warn(
      { err: event.failure },
      'mongo unreachable; requests answer UNAVAILABLE until it returns',
    );
  };
  const onHeartbeatSucceeded = () => {
    if (mongoUp) return;
    mongoUp = true;
    metrics.dependencyUp.set({ dependency: 'mongo' }, 1);
    logger.info('mongo reachable again');
  };
  mongo.on('serverHeartbeatFailed', onHeartbeatFailed);
  mongo.on('serverHeartbeatSucceeded', onHeartbeatSucceeded);
  return {
    close() {
      deps.sub.off('close', onSubClose);
      deps.sub.off('ready', onSubReady);
      mongo.off('serverHeartbeatFailed', onHeartbeatFailed);
      mongo.off('serverHeartbeatSucceeded', onHeartbeatSucceeded);
    },
  };
}
