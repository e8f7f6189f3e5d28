import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly connectedSockets: Gauge;
  /** Socket events by type and result code (`ok` or an error code). */
  readonly events: Counter<'event' | 'result'>;
  /** Handler time from receiving `message:send` to its ack, by result. */
  readonly sendAckSeconds: Histogram<'result'>;
  /** Publish on one node → delivery on another, through the Redis adapter (probe). */
  readonly fanoutSeconds: Histogram;
  readonly dependencyErrors: Counter<'dependency'>;
  /** Dependency state changes (1 = up), so dashboards see outages without log parsing. */
  readonly dependencyUp: Gauge<'dependency'>;
  readonly adapterReconnects: Counter;
  readonly adapterPackets: Counter<'kind'>;
  readonly adapterBytes: Counter<'kind'>;
  readonly rateLimited: Counter<'scope'>;
  readonly httpRequests: Counter<'status'>;
  readonly inFlightHandlers: Gauge;
  /** Offline-delivery jobs by state, read from the queue at scrape time. */
  readonly queueJobs: Gauge<'state'>;
  /** Redis commands this node sent, by connection (`cmd`, `pub`): round trips per message. */
  readonly redisCommands: Counter<'connection'>;
}

/** One registry per node (not prom-client's global one): tests run several nodes in one process. */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    connectedSockets: new Gauge({
      name: 'chat_connected_sockets',
      help: 'Socket.IO connections open on this node.',
      registers,
    }),
    events: new Counter({
      name: 'chat_socket_events_total',
      help: 'Client socket events handled, by event and result (ok or the error code).',
      labelNames: ['event', 'result'],
      registers,
    }),
    sendAckSeconds: new Histogram({
      name: 'chat_message_send_ack_seconds',
      help: 'message:send received → ack sent, by result.',
      labelNames: ['result'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    fanoutSeconds: new Histogram({
      name: 'chat_cross_node_fanout_seconds',
      help: 'Adapter probe published by another node → received here (Redis pub/sub path of every fan-out).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    dependencyErrors: new Counter({
      name: 'chat_dependency_errors_total',
      help: 'Errors from Redis (connection errors) and MongoDB (failed heartbeats and UNAVAILABLE operations).',
      labelNames: ['dependency'],
      registers,
    }),
    dependencyUp: new Gauge({
      name: 'chat_dependency_up',
      help: '1 while the dependency answers, 0 while it is down.',
      labelNames: ['dependency'],
      registers,
    }),
    adapterReconnects: new Counter({
      name: 'chat_adapter_reconnects_total',
      help: 'Times the Socket.IO adapter subscriber reconnected to Redis (subscriptions replayed).',
      registers,
    }),
    adapterPackets: new Counter({
      name: 'chat_adapter_packets_received_total',
      help: 'Pub/sub packets the adapter subscriber received, by kind: classic (PUBLISH) or sharded (SPUBLISH). Compared with local deliveries it shows what a node received for no socket of its own.',
      labelNames: ['kind'],
      registers,
    }),
    adapterBytes: new Counter({
      name: 'chat_adapter_bytes_received_total',
      help: 'Bytes (channel + payload) of the pub/sub packets the adapter subscriber received, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'chat_rate_limited_total',
      help: 'Requests refused by a rate limit, by scope (socket event or HTTP).',
      labelNames: ['scope'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'chat_http_requests_total',
      help: 'HTTP responses by status code.',
      labelNames: ['status'],
      registers,
    }),
    inFlightHandlers: new Gauge({
      name: 'chat_socket_handlers_in_flight',
      help: 'Socket handlers running now (a drain waits for them).',
      registers,
    }),
    queueJobs: new Gauge({
      name: 'chat_offline_queue_jobs',
      help: 'Offline-delivery jobs by state (waiting, delayed, active, failed = dead letters).',
      labelNames: ['state'],
      registers,
    }),
    redisCommands: new Counter({
      name: 'chat_redis_commands_total',
      help: 'Redis commands sent by this node (a script is one), by connection: cmd (commands, scripts, queues) or pub (adapter publishes).',
      labelNames: ['connection'],
      registers,
    }),
  };
}
