import type { Collection, Db } from 'mongodb';
import { batchedFindOneByKey, settleBulk } from './batching/batched-ops.js';
import { createCoalescer, type CoalescerOptions } from './batching/coalescer.js';
import { DuplicateKeyError } from './errors.js';
import { CLIENT_MSG_IDS, proxyOf, UNSHARDED_CLIENT_MSG_ID } from './sharded-indexes.js';
import type { ClientMsgIdDoc, MessageDoc } from './types.js';

/**
 * Sharded mode's idempotent insert (MONGO_SHARDED; MongoDB's documented pattern for a unique
 * field that is not the shard key). One insert batch costs TWO commands, in series, instead of
 * one: an unordered insertMany of the batch's proxies `{ _id: { s: senderId, c: clientMsgId } }`
 * into `clientMsgIds` (sharded by `_id`), then the unordered insertMany of the messages whose
 * proxy went in. A proxy duplicate costs one more find (of every duplicate proxy of the batch).
 *
 * Safety rules (the CONFLICT rule of docs/PROTOCOL.md, "another conversation"):
 * - The proxy goes in BEFORE its message: a stored message always has its proxy, so the same
 *   clientMsgId can never be stored in a second conversation.
 * - A proxy already there for the SAME conversation does not stop the message: it is a resend,
 *   or an attempt that crashed (or is still running) between the two inserts. The messages'
 *   own unique indexes, `_id` and `(conversationId, senderId, clientMsgId)`, then decide, so a
 *   crashed attempt's resend stores the message and concurrent resends store it once.
 * - A proxy for ANOTHER conversation fails the insert with a DuplicateKeyError on
 *   `(senderId, clientMsgId)`, as the unsharded index does, with the proxy's conversation in
 *   `keyValue`. Its message may be missing (that attempt crashed): the clientMsgId still
 *   belongs to that conversation, where a resend stores it.
 */
export interface ShardedClientMsgIds {
  insert(doc: MessageDoc): Promise<void>;
  findByClientMsgId(
    senderId: MessageDoc['senderId'],
    clientMsgId: string,
  ): Promise<MessageDoc | null>;
}

type ProxyId = ClientMsgIdDoc['_id'];

function conflictOf(doc: MessageDoc, proxy: ClientMsgIdDoc | undefined, cause: unknown) {
  return new DuplicateKeyError('clientMsgId already used for another conversation', {
    keyPattern: { senderId: 1, clientMsgId: 1 },
    keyValue: {
      senderId: doc.senderId,
      clientMsgId: doc.clientMsgId,
      ...(proxy ? { conversationId: proxy.conversationId } : {}),
    },
    cause,
  });
}

export function createShardedClientMsgIds(
  db: Db,
  messages: Collection<MessageDoc>,
  options: CoalescerOptions = {},
): ShardedClientMsgIds {
  const proxies = db.collection<ClientMsgIdDoc>(CLIENT_MSG_IDS);
  const findProxy = batchedFindOneByKey(proxies, ['_id'] as const);
  // Names the messages shard key: the proxy says which conversation to look in.
  const findInConversation = batchedFindOneByKey(messages, [
    'conversationId',
    'senderId',
    'clientMsgId',
  ] as const);

  /** Step 1: which docs may go on to the messages insert; the others' outcome. */
  async function claim(batch: readonly MessageDoc[]) {
    const outcome = new Map<number, PromiseSettledResult<undefined>>();
    const claimed = batch.flatMap((doc, i) => (doc.clientMsgId === undefined ? [] : [i]));
    if (claimed.length === 0) return outcome;
    const docs = claimed.map((i) => proxyOf(batch[i] as MessageDoc & { clientMsgId: string }));
    let settled: PromiseSettledResult<undefined>[];
    try {
      await proxies.insertMany(docs, { ordered: false });
      return outcome;
    } catch (err) {
      settled = settleBulk(CLIENT_MSG_IDS, docs.length, err, () => undefined);
    }
    const duplicates = claimed.filter((_, k) => {
      const r = settled[k];
      if (r?.status === 'rejected' && !(r.reason instanceof DuplicateKeyError))
        outcome.set(claimed[k] as number, r);
      return r?.status === 'rejected' && r.reason instanceof DuplicateKeyError;
    });
    if (duplicates.length === 0) return outcome;
    const ids: ProxyId[] = duplicates.map((i) => (docs[claimed.indexOf(i)] as ClientMsgIdDoc)._id);
    const found = await proxies.find({ _id: { $in: ids } }).toArray();
    const key = (id: ProxyId) => `${id.s.toHexString()}|${id.c}`;
    const byId = new Map(found.map((p) => [key(p._id), p]));
    for (const [n, i] of duplicates.entries()) {
      const doc = batch[i] as MessageDoc;
      const proxy = byId.get(key(ids[n] as ProxyId));
      if (proxy?.conversationId.equals(doc.conversationId)) continue;
      const cause = settled[claimed.indexOf(i)];
      outcome.set(i, {
        status: 'rejected',
        reason: conflictOf(doc, proxy, cause?.status === 'rejected' ? cause.reason : undefined),
      });
    }
    return outcome;
  }

  const insert = createCoalescer<MessageDoc, undefined>(async (batch) => {
    const outcome = await claim(batch);
    const next = batch.flatMap((doc, i) => (outcome.has(i) ? [] : [{ doc, i }]));
    if (next.length > 0) {
      let settled: PromiseSettledResult<undefined>[] | undefined;
      try {
        await messages.insertMany(
          next.map((n) => n.doc),
          { ordered: false },
        );
      } catch (err) {
        settled = settleBulk(messages.collectionName, next.length, err, () => undefined);
      }
      next.forEach((n, k) =>
        outcome.set(n.i, settled?.[k] ?? { status: 'fulfilled', value: undefined }),
      );
    }
    return batch.map((_, i) => outcome.get(i) ?? { status: 'fulfilled', value: undefined });
  }, options);

  return {
    insert,
    async findByClientMsgId(senderId, clientMsgId) {
      const proxy = await findProxy([{ s: senderId, c: clientMsgId }]);
      if (!proxy) return null;
      return findInConversation([proxy.conversationId, senderId, clientMsgId]);
    },
  };
}

const BACKFILL_BATCH = 1000;

/**
 * Switching an unsharded database to sharded mode: messages stored before have no proxy, so a
 * reuse of their clientMsgId in another conversation would not be CONFLICT, nor would a resend
 * find them. Runs while the unsharded index is still there (ensureIndexes drops it after), so a
 * start that crashed midway does it again; duplicates (an earlier partial run, a node starting
 * at the same time) are skipped. One pass over the messages with a clientMsgId, in batches of
 * 1,000: switch before sharding `messages` (docs/OPERATIONS.md).
 * @returns the number of proxies written
 */
export async function backfillClientMsgIds(db: Db): Promise<number> {
  const messages = db.collection<MessageDoc>('messages');
  const present = await messages
    .listIndexes()
    .toArray()
    .catch(() => []);
  if (!present.some((i) => i['name'] === UNSHARDED_CLIENT_MSG_ID)) return 0;
  const proxies = db.collection<ClientMsgIdDoc>(CLIENT_MSG_IDS);
  const cursor = messages.find(
    { clientMsgId: { $type: 'string' } },
    { projection: { _id: 1, conversationId: 1, senderId: 1, clientMsgId: 1 } },
  );
  let batch: ClientMsgIdDoc[] = [];
  let stored = 0;
  const flush = async () => {
    const docs = batch;
    batch = [];
    if (docs.length === 0) return;
    try {
      await proxies.insertMany(docs, { ordered: false });
      stored += docs.length;
    } catch (err) {
      for (const r of settleBulk(CLIENT_MSG_IDS, docs.length, err, () => undefined)) {
        if (r.status === 'fulfilled') stored += 1;
        else if (!(r.reason instanceof DuplicateKeyError)) throw r.reason;
      }
    }
  };
  for await (const m of cursor) {
    if (typeof m.clientMsgId !== 'string') continue;
    batch.push(proxyOf({ ...m, clientMsgId: m.clientMsgId }));
    if (batch.length >= BACKFILL_BATCH) await flush();
  }
  await flush();
  return stored;
}
