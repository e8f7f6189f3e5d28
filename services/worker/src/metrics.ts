import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly deliveries: Counter<'outcome'>;
  readonly deadLetters: Counter;
  readonly presenceSwept: Counter;
  /** Hand-off entries finished (jobs queued for the offline members, or nobody offline). */
  readonly handoffProcessed: Counter;
  /** Hand-off entries whose message was never stored (the send failed after its script). */
  readonly handoffDropped: Counter;
  /** Offline members who got no webhook because they muted the conversation (docs/PROTOCOL.md#section-7). */
  readonly handoffMuted: Counter;
  /** Entries in the hand-off stream, set at scrape time. */
  readonly handoffBacklog: Gauge;
  /** Offline-delivery jobs by state (pending = waiting+delayed+active, failed = dead letters), set at scrape time. */
  readonly queueJobs: Gauge<'state'>;
}

/** One registry per process (not the global one), so tests can build several. */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'chat_offline_delivery_attempts_total',
      help: 'Offline-delivery webhook attempts by outcome (delivered, failed, permanent, skipped).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'chat_offline_delivery_dead_letters_total',
      help: 'Offline deliveries that failed their last attempt and stay in the failed state.',
      registers: [registry],
    }),
    presenceSwept: new Counter({
      name: 'chat_presence_swept_users_total',
      help: 'Users found offline by the sweep (connections expired without a clean disconnect).',
      registers: [registry],
    }),
    handoffProcessed: new Counter({
      name: 'chat_handoff_entries_total',
      help: 'Sent messages handed off: offline members looked up and their webhook jobs queued.',
      registers: [registry],
    }),
    handoffDropped: new Counter({
      name: 'chat_handoff_dropped_total',
      help: 'Hand-off entries dropped because their message was never stored (the send failed).',
      registers: [registry],
    }),
    handoffMuted: new Counter({
      name: 'chat_handoff_muted_total',
      help: 'Offline members skipped by the hand-off because they muted the conversation.',
      registers: [registry],
    }),
    handoffBacklog: new Gauge({
      name: 'chat_handoff_backlog',
      help: 'Entries waiting in the hand-off stream (sent messages not yet handed off).',
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'chat_offline_queue_jobs',
      help: 'Offline-delivery jobs by state (pending = waiting+delayed+active, failed = dead letters).',
      labelNames: ['state'],
      registers: [registry],
    }),
  };
}
