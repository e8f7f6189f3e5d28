import type { RedisClient } from '@chat/redis';
import { decodeHandoff, type HandoffRecord } from './handoff.js';

/** The consumer group every worker reads the hand-off stream through. */
export const HANDOFF_GROUP = 'offline-delivery';

export interface HandoffStreamOptions {
  /** A connection of its own: `read` blocks it while the stream is empty. */
  redis: RedisClient;
  /** The stream key (SendKeys.handoff()). */
  key: string;
  /** Unique per worker process. */
  consumer: string;
  /** @default HANDOFF_GROUP */
  group?: string;
}

type StreamEntries = [id: string, fields: string[]][];

/**
 * The worker's side of the hand-off stream: a consumer group, so several workers share the
 * entries and an entry read by a worker that died is claimed by another (`claimIdle`).
 * An entry leaves the stream only when `done` says so, after its jobs are queued: a crash in
 * between repeats it, and the deterministic job ids make the repeat harmless.
 */
export function createHandoffStream(options: HandoffStreamOptions) {
  const { redis, key, consumer } = options;
  const group = options.group ?? HANDOFF_GROUP;

  function decodeAll(entries: StreamEntries): {
    records: HandoffRecord[];
    malformed: string[];
  } {
    const records: HandoffRecord[] = [];
    const malformed: string[] = [];
    for (const [id, fields] of entries) {
      const record = decodeHandoff(id, fields);
      if (record) records.push(record);
      else malformed.push(id);
    }
    return { records, malformed };
  }

  return {
    /** Creates the group (and the stream) if needed; reading starts with entries not yet read. */
    async ensureGroup(): Promise<void> {
      try {
        await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
      } catch (err) {
        // BUSYGROUP: another worker (or an earlier run) created it.
        if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
      }
    },

    /** New entries for this consumer, waiting up to `blockMs` when there are none. */
    async read(count: number, blockMs: number) {
      const reply = (await redis.xreadgroup(
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        key,
        '>',
      )) as [string, StreamEntries][] | null;
      return decodeAll(reply?.[0]?.[1] ?? []);
    },

    /**
     * Entries read (by any consumer of the group) and not done for `minIdleMs`: a worker died
     * with them, or they wait for their message to be stored. They become this consumer's.
     */
    async claimIdle(minIdleMs: number, count: number) {
      const reply = (await redis.xautoclaim(
        key,
        group,
        consumer,
        minIdleMs,
        '0',
        'COUNT',
        count,
      )) as [string, StreamEntries, ...unknown[]];
      return decodeAll((reply[1] ?? []).filter((entry) => Array.isArray(entry[1])));
    },

    /** Acknowledges and deletes the entries (one round trip). */
    async done(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await redis
        .multi()
        .xack(key, group, ...ids)
        .xdel(key, ...ids)
        .exec();
    },

    /** Entries in the stream: not yet handled, or waiting (a depth for metrics). */
    length: (): Promise<number> => redis.xlen(key),
  };
}

export type HandoffStream = ReturnType<typeof createHandoffStream>;
