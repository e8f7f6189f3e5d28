import { messageDelivery, type MessageDeliveryJob, type OfflineDeliveryProducer } from '@chat/jobs';
import type { PresenceStore } from '@chat/presence';
import type { HandoffRecord, HandoffStream } from '@chat/send-state';
import { parseObjectId, type MongoStore, type ObjectId } from '@chat/store';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics.js';
import { createMemberLookup } from './member-lookup.js';

export interface MessageHandoffOptions {
  stream: HandoffStream;
  store: Pick<MongoStore, 'messages' | 'memberships'>;
  presence: Pick<PresenceStore, 'isOnline'>;
  offlineDelivery: Pick<OfflineDeliveryProducer, 'enqueue'>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Entries per read. @default 500 */
  batch?: number;
  /**
   * An entry whose message is not stored yet is looked at again after this long (the sending
   * node inserts right after its script; crashed consumers' entries are taken over the same way).
   * @default 250
   */
  retryAfterMs?: number;
  /** An entry whose message never got stored (its send failed) is dropped after this long. @default 120_000 */
  giveUpAfterMs?: number;
  /**
   * After a batch smaller than `batch`, wait this long for more entries before reading again,
   * so a steady trickle is handled in batches (per batch: one presence script and one ack,
   * instead of per message). What a webhook waits at most on top. @default 50
   */
  coalesceMs?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Outcome {
  done: string[];
  jobs: MessageDeliveryJob[];
}

/**
 * The offline hand-off of docs/PROTOCOL.md#section-5, off the sending node's hot path: every send appends one
 * entry to a Redis stream inside its send script (@chat/send-state; on one Redis a direct
 * message whose recipient is online appends none), and this loop finds, per
 * batch of entries, the members with no live connection anywhere and queues one webhook job
 * each (unless they muted the conversation). Per batch: one presence script, and only when
 * someone is offline one MongoDB read of their mutes, one of the messages (the entry is written before the insert, so only stored messages are delivered)
 * and one queue write. Group members come from a cache keyed by the membership version the
 * sender's node checked, so a steady group costs no member reads.
 *
 * At-least-once: an entry leaves the stream after its jobs are queued; a crash in between
 * repeats it, and the job ids (`msg-<messageId>-<userId>`) make the repeat deliver nothing twice.
 */
export function createMessageHandoff(options: MessageHandoffOptions) {
  const { stream, store, presence, logger, metrics } = options;
  const batch = options.batch ?? 500;
  const retryAfterMs = options.retryAfterMs ?? 250;
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  const coalesceMs = options.coalesceMs ?? 50;
  const now = options.now ?? Date.now;
  const members = createMemberLookup(store.memberships);

  async function recipientsOf(record: HandoffRecord): Promise<string[]> {
    if (record.recipientId !== undefined) return [record.recipientId];
    const all = await members.of(record.conversationId, record.version);
    return all.filter((id) => id !== record.senderId);
  }

  async function storedIds(records: readonly HandoffRecord[]): Promise<Set<string>> {
    const ids = records.map((r) => parseObjectId(r.messageId)).filter((id): id is ObjectId => !!id);
    if (ids.length === 0) return new Set();
    const found = await store.messages.findByIds(ids);
    return new Set(found.map((m) => m._id.toHexString()));
  }

  /**
   * Offline members who muted the conversation get no webhook (docs/PROTOCOL.md#section-7). One MongoDB query
   * per batch, and only for the pairs already found offline: a batch where everyone is online
   * costs nothing more. Mentions (which §7 lets through a mute) do not exist yet.
   */
  async function withoutMuted(
    records: readonly HandoffRecord[],
    offline: readonly string[][],
  ): Promise<string[][]> {
    const pairs: { conversationId: ObjectId; userId: ObjectId }[] = [];
    records.forEach((record, i) => {
      const conversationId = parseObjectId(record.conversationId);
      if (!conversationId) return;
      for (const user of offline[i] ?? []) {
        const userId = parseObjectId(user);
        if (userId) pairs.push({ conversationId, userId });
      }
    });
    if (pairs.length === 0) return [...offline];
    const muted = await store.memberships.mutedAmong(pairs, new Date(now()));
    if (muted.size > 0) metrics.handoffMuted.inc(muted.size);
    return records.map((record, i) =>
      (offline[i] ?? []).filter((user) => !muted.has(`${record.conversationId}:${user}`)),
    );
  }

  /** Which entries are finished, and the jobs to queue for them. */
  async function settle(records: readonly HandoffRecord[]): Promise<Outcome> {
    const recipients = await Promise.all(records.map(recipientsOf));
    const online = await presence.isOnline([...new Set(recipients.flat())]);
    const offline = await withoutMuted(
      records,
      records.map((_, i) => (recipients[i] ?? []).filter((id) => !online.has(id))),
    );
    const waiting = records.filter((_, i) => (offline[i]?.length ?? 0) > 0);
    const stored = await storedIds(waiting);
    const outcome: Outcome = { done: [], jobs: [] };
    records.forEach((record, i) => {
      const users = offline[i] ?? [];
      if (users.length === 0 || stored.has(record.messageId)) {
        outcome.done.push(record.id);
        for (const userId of users)
          outcome.jobs.push(
            messageDelivery({
              userId,
              conversationId: record.conversationId,
              messageId: record.messageId,
              senderId: record.senderId,
              preview: record.preview,
            }),
          );
      } else if (now() - record.addedAt > giveUpAfterMs) {
        // The send failed after its script ran (the client got an error and never got an ack).
        metrics.handoffDropped.inc();
        logger.info(
          { messageId: record.messageId },
          'hand-off dropped: the message was never stored',
        );
        outcome.done.push(record.id);
      }
      // Otherwise it stays pending and comes back through claimIdle.
    });
    return outcome;
  }

  /** Handles the entries; returns how many are finished. Throws when Redis or MongoDB fail (nothing is lost: the entries stay pending). */
  async function handle(
    records: readonly HandoffRecord[],
    malformed: readonly string[],
  ): Promise<number> {
    if (malformed.length > 0)
      logger.warn({ ids: malformed }, 'hand-off: malformed entries dropped');
    const { done, jobs } = records.length > 0 ? await settle(records) : { done: [], jobs: [] };
    await options.offlineDelivery.enqueue(jobs);
    await stream.done([...done, ...malformed]);
    metrics.handoffProcessed.inc(done.length);
    return done.length;
  }

  let stopped = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** A pause that stop() cuts short. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function loop(): Promise<void> {
    await stream.ensureGroup();
    let lastClaim = 0;
    while (!stopped) {
      try {
        const fresh = await stream.read(batch, retryAfterMs);
        await handle(fresh.records, fresh.malformed);
        if (now() - lastClaim >= retryAfterMs) {
          lastClaim = now();
          const idle = await stream.claimIdle(retryAfterMs, batch);
          await handle(idle.records, idle.malformed);
        }
        const read = fresh.records.length + fresh.malformed.length;
        if (read > 0 && read < batch && coalesceMs > 0 && !stopped) await pause(coalesceMs);
      } catch (err) {
        if (stopped) break;
        logger.warn({ err }, 'hand-off batch failed; its entries are retried');
        await pause(retryAfterMs);
      }
    }
  }

  return {
    handle,
    start(): void {
      running ??= loop();
    },
    /** Finishes the batch in hand; the blocking read returns within `retryAfterMs`. */
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
