import { Long } from 'bson';
import type { Doc } from './bson-values.js';

/** A server-side cursor over results materialized when the command ran. */
export interface ServerCursor {
  id: number;
  ns: string;
  docs: Doc[];
  position: number;
  /** Applied to each batch lazily (projection). */
  transform: (batch: Doc[]) => Doc[];
  lastUsed: number;
}

export const DEFAULT_FIRST_BATCH = 101;
/** MongoDB reaps idle cursors after 10 minutes (cursorTimeoutMillis). */
const CURSOR_TIMEOUT_MS = 10 * 60 * 1000;

export class CursorRegistry {
  private readonly cursors = new Map<number, ServerCursor>();
  private nextId = 1;

  /**
   * Builds the `cursor` sub-document of a find/aggregate reply, keeping a cursor open only if
   * documents remain after the first batch.
   */
  open(
    ns: string,
    docs: Doc[],
    firstBatchSize: number | undefined,
    singleBatch: boolean,
    transform: (b: Doc[]) => Doc[] = (b) => b,
  ): Doc {
    const size = firstBatchSize ?? DEFAULT_FIRST_BATCH;
    const first = singleBatch ? docs : docs.slice(0, size);
    let id = 0;
    if (!singleBatch && first.length < docs.length) {
      id = this.nextId++;
      this.cursors.set(id, {
        id,
        ns,
        docs,
        position: first.length,
        transform,
        lastUsed: Date.now(),
      });
    }
    return { firstBatch: transform(first), id: Long.fromNumber(id), ns };
  }

  get(id: number): ServerCursor | undefined {
    return this.cursors.get(id);
  }

  next(cursor: ServerCursor, batchSize: number | undefined): Doc {
    const end = batchSize && batchSize > 0 ? cursor.position + batchSize : cursor.docs.length;
    const batch = cursor.docs.slice(cursor.position, end);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.cursors.delete(cursor.id);
    return {
      nextBatch: cursor.transform(batch),
      id: Long.fromNumber(exhausted ? 0 : cursor.id),
      ns: cursor.ns,
    };
  }

  kill(id: number): boolean {
    return this.cursors.delete(id);
  }

  reapIdle(now: number): void {
    for (const [id, c] of this.cursors)
      if (now - c.lastUsed > CURSOR_TIMEOUT_MS) this.cursors.delete(id);
  }

  clear(): void {
    this.cursors.clear();
  }
}
