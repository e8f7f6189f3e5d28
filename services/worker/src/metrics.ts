import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly deliveries: Counter<'outcome'>;
  readonly deadLetters: Counter;
  readonly presenceSwept: Counter;
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
    queueJobs: new Gauge({
      name: 'chat_offline_queue_jobs',
      help: 'Offline-delivery jobs by state (pending = waiting+delayed+active, failed = dead letters).',
      labelNames: ['state'],
      registers: [registry],
    }),
  };
}
