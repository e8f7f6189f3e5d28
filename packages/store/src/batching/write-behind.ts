import type { StoreLogger } from '../types.js';

/** Longer than any read round trip that could have started before a write landed. */
const LANDED_VISIBLE_MS = 2_000;

export interface WriteBehindOptions<Item> {
  /** Items with the same key merge: only the newest is written. */
  keyOf(item: Item): string;
  /** True when `a` replaces `b` (the newest wins: writes are `$max`-style, never backwards). */
  supersedes(a: Item, b: Item): boolean;
  /** Stores one batch in one command. A failure is logged; the items are not retried. */
  write(items: Item[]): Promise<void>;
  /** How long an item waits for others to share its command. */
  delayMs: number;
  /** Items per command at most; a full batch leaves at once. @default 500 */
  maxBatch?: number;
  /** What the items are, for the log line of a failed write. */
  what: string;
  logger?: StoreLogger;
}

/**
 * Write-behind for the forward-only writes of a send nobody waits for (the conversation's seq
 * and preview, the sender's own cursors). Awaited per send, each is one MongoDB command per
 * message, the most expensive thing a send does; here the items of the next `delayMs` share one
 * unordered bulk write and repeated items of one key keep the newest.
 *
 * `pending` shows what this node has queued or has in flight, so its own reads can lay it over
 * what they read and be right at once. Other nodes see an item when it lands: within `delayMs`
 * plus one write. If the write fails or the node dies first, the stored value stays where it
 * was until the next item of that key moves it: the writes are forward-only, so a late or lost
 * one never moves anything back.
 */
export function createWriteBehind<Item>(options: WriteBehindOptions<Item>) {
  const { keyOf, supersedes, delayMs } = options;
  const maxBatch = options.maxBatch ?? 500;
  /** Queued and in-flight items, the newest per key: what `pending` shows. */
  const shown = new Map<string, Item>();
  let queue = new Map<string, Item>();
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  function dispatch(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.size === 0) return;
    const batch = queue;
    queue = new Map();
    const write = options
      .write([...batch.values()])
      .catch((err: unknown) => {
        options.logger?.warn(
          { err, items: batch.size },
          `${options.what} not stored; the next one of each moves it`,
        );
      })
      .finally(() => {
        inFlight.delete(write);
        // Still shown for a moment: a read sent before this write may be answered after it.
        // A newer item of the same key (queued meanwhile) stays until it lands in turn.
        setTimeout(() => {
          for (const [key, item] of batch) if (shown.get(key) === item) shown.delete(key);
        }, LANDED_VISIBLE_MS).unref();
      });
    inFlight.add(write);
  }

  return {
    /** Queues the item; never throws, never waits. An item older than a pending one is dropped. */
    queue(item: Item): void {
      const key = keyOf(item);
      const known = shown.get(key);
      if (known !== undefined && !supersedes(item, known)) return;
      shown.set(key, item);
      queue.set(key, item);
      if (queue.size >= maxBatch) dispatch();
      else timer ??= setTimeout(dispatch, delayMs);
    },

    /** The newest item of `key` this node has not seen land yet (or just landed). */
    pending(key: string): Item | undefined {
      return shown.get(key);
    },

    /** Sends what is queued and waits for every write in flight (shutdown, tests). */
    async flush(): Promise<void> {
      dispatch();
      await Promise.all([...inFlight]);
    },
  };
}
