import { parseObjectId, type MembershipsRepository } from '@chat/store';

/** (conversation, version) entries kept; a group of 200 is a few KB. Oldest first out. */
const MAX_ENTRIES = 5_000;

/**
 * A group's member ids by the membership version the sender's node checked
 * (@chat/send-state): a version names one member list, so an entry never goes stale, and a
 * steady group costs one read per worker. Concurrent misses share one read (the repository
 * batches `listMemberIds`).
 */
export function createMemberLookup(memberships: Pick<MembershipsRepository, 'listMemberIds'>) {
  const entries = new Map<string, Promise<string[]>>();

  return {
    of(conversationId: string, version: string): Promise<string[]> {
      const key = `${conversationId}:${version}`;
      const known = entries.get(key);
      if (known) return known;
      const id = parseObjectId(conversationId);
      const loading = id
        ? memberships.listMemberIds(id).then((ids) => ids.map((m) => m.toHexString()))
        : Promise.resolve([]);
      // A failed read is not remembered: the entry is retried with the batch.
      loading.catch(() => entries.delete(key));
      if (entries.size >= MAX_ENTRIES) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(key, loading);
      return loading;
    },
  };
}
