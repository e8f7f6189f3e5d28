import { randomUUID } from 'node:crypto';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createOfflineDeliveryProducer,
  messageDelivery,
  OFFLINE_DELIVERY_BACKOFF_TYPE,
  offlineDeliveryBackoffMs,
  QUEUES,
  schedulePresenceSweep,
  type OfflineDeliveryJob,
  type OfflineDeliveryProducer,
} from './index.js';

let server: RedisServer;
let redis: Redis;
let prefix: string;
let producer: OfflineDeliveryProducer;
let queue: Queue<OfflineDeliveryJob>;
const closers: Array<() => Promise<void>> = [];

const oid = (n: number): string => n.toString(16).padStart(24, '0');
const job = (n: number, preview = 'hello'): OfflineDeliveryJob =>
  messageDelivery({
    userId: oid(1),
    conversationId: oid(2),
    messageId: oid(n),
    senderId: oid(3),
    preview,
  });

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis?.disconnect();
  await server?.stop();
});

beforeEach(() => {
  prefix = `t-${randomUUID()}`;
  producer = createOfflineDeliveryProducer({
    connection: redis,
    prefix,
    attempts: 3,
    backoffMs: 50,
  });
  queue = new Queue(QUEUES.offlineDelivery, { connection: redis, prefix });
  closers.push(
    () => producer.close(),
    () => queue.close(),
  );
});

describe('offline delivery producer', () => {
  it('stores one job per deliveryId, with the retry options, however often it is enqueued', async () => {
    await producer.enqueue([job(10), job(11)]);
    await producer.enqueue([job(10, 'changed'), job(11), job(10)]);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.id).sort()).toEqual([job(10).deliveryId, job(11).deliveryId].sort());
    const first = jobs.find((j) => j.id === job(10).deliveryId);
    expect(first?.data).toEqual(job(10));
    expect(first?.opts).toMatchObject({
      attempts: 3,
      backoff: { type: OFFLINE_DELIVERY_BACKOFF_TYPE, delay: 50 },
    });
    expect(await producer.depth()).toEqual({ pending: 2, failed: 0 });
  });

  it('does not re-add a delivery that already completed, so a retried send does not re-deliver', async () => {
    const processed: string[] = [];
    const worker = new Worker<OfflineDeliveryJob>(
      QUEUES.offlineDelivery,
      (j) => {
        processed.push(j.data.deliveryId);
        return Promise.resolve();
      },
      {
        connection: redis.duplicate(),
        prefix,
        settings: { backoffStrategy: (n: number) => offlineDeliveryBackoffMs(n, 50) },
      },
    );
    closers.push(() => worker.close());
    await producer.enqueue([job(20)]);
    await waitFor(async () => (await queue.getCompletedCount()) === 1, { message: 'completion' });
    await producer.enqueue([job(20)]);
    expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'completed')).toMatchObject({
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 1,
    });
    await worker.close();
    expect(processed).toEqual([job(20).deliveryId]);
  });

  it('BullMQ refuses ids with ":" (why deliveryIds use "-")', async () => {
    await expect(queue.add('message', job(30), { jobId: `msg:${oid(30)}` })).rejects.toThrow(
      /cannot contain :/,
    );
  });
});

describe('presence sweep schedule', () => {
  it('upserts a single repeatable job however many workers call it', async () => {
    await schedulePresenceSweep({ connection: redis, prefix, everyMs: 5_000 });
    await schedulePresenceSweep({ connection: redis, prefix, everyMs: 1_000 });
    const sweeps = new Queue(QUEUES.presenceSweep, { connection: redis, prefix });
    closers.push(() => sweeps.close());
    const schedulers = await sweeps.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ every: 1_000 });
  });
});
