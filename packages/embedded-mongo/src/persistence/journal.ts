import type { Doc } from '../bson-values.js';

/**
 * What the in-memory collections report after each change, so a durable store can write the
 * same change. Collections call it only after the change has been applied in memory; the
 * store decides when to commit (the server commits once per command, before replying).
 */
export interface WriteJournal {
  /** A document was inserted or replaced (`id` is the canonical key of its `_id`). */
  put(ns: string, id: string, doc: Doc): void;
  delete(ns: string, id: string): void;
  /** Every document of the collection was removed (the indexes stay). */
  clear(ns: string): void;
  /** The collection was created, or its index set or options changed. */
  collectionChanged(db: string, name: string): void;
  collectionDropped(db: string, name: string): void;
}
