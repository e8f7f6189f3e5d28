import { randomBytes } from 'node:crypto';
import {
  createOfflineDeliveryProducer,
  messageDelivery,
  QUEUES,
  type MessageDeliveryJob,
  type OfflineDeliveryJob,
  type OfflineDeliveryProducer,
} from '@chat/jobs';
import {
  getFreePort,
  startMongo,
  startRedis,
  startWebhookReceiver,
  startWorker,
  waitFor,
  type ManagedProcess,
  type RedisServer,
  type WebhookReceiver,
} from '@chat/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'test-secret-0123456789';
let redisServer: RedisServer;
let redis: Redis;
let receiver: WebhookReceiver;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let producer: OfflineDeliveryProducer;
let queue: Queue<OfflineDeliveryJob>;
let worker: ManagedProcess | undefined;
let metricsPort: number;

const oid = (): string => randomBytes(12).toString('hex');
const newJob = (userId = oid()): MessageDeliveryJob =>
  messageDelivery({
    userId,
    conversationId: oid(),
    messageId: oid(),
    senderId: oid(),
    preview: 'hello there',
  });

function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redisServer.url,
    MONGO_URL: mongo.url,
    MONGO_DB: mongo.databaseName,
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: SECRET,
    WEBHOOK_BACKOFF_MS: '200',
    WEBHOOK_TIMEOUT_MS: '5000',
    WORKER_LOCK_DURATION_MS: '1500',
    ...extra,
  };
}

const countsOf = (): Promise<Record<string, number>> =>
  queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
const idle = async (): Promise<boolean> => {
  const c = await countsOf();
  return (c.waiting ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0;
};

beforeAll(async () => {
  [redisServer, mongo] = await Promise.all([startRedis(), startMongo()]);
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  receiver = await startWebhookReceiver(SECRET);
  producer = createOfflineDeliveryProducer({ connection: redis });
  queue = new Queue(QUEUES.offlineDelivery, { connection: redis });
  metricsPort = await getFreePort();
  // One worker for the first tests; WEBHOOK_ATTEMPTS=3 caps the producer's 8 attempts.
  worker = await startWorker(
    workerEnv({ WEBHOOK_ATTEMPTS: '3', METRICS_PORT: String(metricsPort) }),
  );
});

afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  await queue?.close();
  redis?.disconnect();
  await receiver?.close();
  await mongo?.close();
  await redisServer?.stop();
});

describe('offline delivery worker', () => {
  it('retries a failing receiver with growing delays and delivers exactly once, signed', async () => {
    const job = newJob();
    receiver.respond = (id, n) => (id === job.deliveryId && n <= 2 ? 503 : 200);
    await producer.enqueue([job]);

    await waitFor(
      () => receiver.received.some((r) => r.deliveryId === job.deliveryId && r.status === 200),
      {
        timeout: 20_000,
        message: 'successful delivery',
      },
    );
    await waitFor(async () => (await queue.getJobState(job.deliveryId)) === 'completed', {
      message: 'completed',
    });
    const tries = receiver.received.filter((r) => r.deliveryId === job.deliveryId);
    expect(tries.map((t) => t.status)).toEqual([503, 503, 200]);
    expect(tries.every((t) => t.signatureValid)).toBe(true);
    expect(tries[2]?.body).toEqual(job);
    const [t1, t2, t3] = tries.map((t) => t.at) as [number, number, number];
    // Backoff base 200 ms (−20 % jitter): ≥ 160 ms, then ≥ 320 ms.
    expect(t2 - t1).toBeGreaterThanOrEqual(150);
    expect(t3 - t2).toBeGreaterThan(t2 - t1);
  });

  it('delivers a job enqueued several times once', async () => {
    const job = newJob();
    await Promise.all([
      producer.enqueue([job]),
      producer.enqueue([job, job]),
      producer.enqueue([{ ...job, preview: 'other' }]),
    ]);
    await waitFor(idle, { message: 'queue drained' });
    await producer.enqueue([job]);
    await waitFor(idle, { message: 'queue drained again' });
    expect(receiver.received.filter((r) => r.deliveryId === job.deliveryId)).toHaveLength(1);
    expect(await queue.getJobState(job.deliveryId)).toBe('completed');
  });

  it('dead-letters after the last attempt, and at once on a permanent 4xx, and counts it', async () => {
    const failing = newJob();
    const rejected = newJob();
    receiver.respond = (id) =>
      id === failing.deliveryId ? 500 : id === rejected.deliveryId ? 400 : 200;
    await producer.enqueue([failing, rejected]);
    await waitFor(
      async () =>
        (await queue.getJobState(failing.deliveryId)) === 'failed' &&
        (await queue.getJobState(rejected.deliveryId)) === 'failed',
      { timeout: 20_000, message: 'both jobs failed' },
    );
    // WEBHOOK_ATTEMPTS=3 caps the producer's 8 attempts.
    expect(receiver.received.filter((r) => r.deliveryId === failing.deliveryId)).toHaveLength(3);
    expect(receiver.received.filter((r) => r.deliveryId === rejected.deliveryId)).toHaveLength(1);
    await waitFor(
      () => (worker?.output().match(/offline delivery dead-lettered/g) ?? []).length === 2,
      {
        message: 'two dead-letter log lines',
      },
    );
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^chat_offline_delivery_dead_letters_total 2$/m);
    expect(worker?.output()).not.toContain('hello there');
  });

  it('loses nothing when the worker is killed -9 with 50 jobs pending', async () => {
    await worker?.stop();
    worker = await startWorker(workerEnv({ WORKER_CONCURRENCY: '5' }));
    receiver.delayMs = 50;
    const jobs = Array.from({ length: 50 }, () => newJob());
    const ids = new Set(jobs.map((j) => j.deliveryId));
    const before = receiver.received.length;
    await producer.enqueue(jobs);
    await waitFor(() => receiver.received.length - before >= 10, { message: 'some deliveries' });
    worker.kill('SIGKILL');
    await worker.exited;
    // The crash really left work behind (otherwise this test proves nothing).
    const states = await Promise.all(jobs.map((j) => queue.getJobState(j.deliveryId)));
    expect(states.filter((s) => s !== 'completed').length).toBeGreaterThan(0);

    worker = await startWorker(workerEnv({ WORKER_CONCURRENCY: '5' }));
    await waitFor(
      async () =>
        (await idle()) &&
        jobs.every((j) => receiver.received.some((r) => r.deliveryId === j.deliveryId)),
      {
        timeout: 40_000,
        message: 'all 50 delivered after restart',
      },
    );
    const mine = receiver.received.slice(before);
    expect(new Set(mine.map((r) => r.deliveryId))).toEqual(ids);
    // Repeats are allowed only for jobs in flight at the crash, and carry the same id/body.
    for (const r of mine) {
      expect(r.signatureValid).toBe(true);
      expect(r.body.deliveryId).toBe(r.deliveryId);
    }
    const repeats = mine.length - ids.size;
    expect(repeats).toBeLessThanOrEqual(5);
    for (const j of jobs) expect(await queue.getJobState(j.deliveryId)).toBe('completed');
  });

  it('finishes the active job on SIGTERM and exits 0', async () => {
    receiver.delayMs = 500;
    const job = newJob();
    await producer.enqueue([job]);
    await waitFor(async () => (await queue.getJobState(job.deliveryId)) === 'active', {
      message: 'job active',
    });
    worker?.kill('SIGTERM');
    const exit = await worker?.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await queue.getJobState(job.deliveryId)).toBe('completed');
    receiver.delayMs = 0;
  });
});
