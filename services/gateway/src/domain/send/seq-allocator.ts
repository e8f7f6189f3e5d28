import type { MongoStore, ObjectId } from '@chat/store';
import type { SendOutcome, SendRequest, SendState } from '@chat/send-state';
import { hex } from '../ids.js';
import type { MembershipCache, SendAccess } from './membership-cache.js';

/** A seq for this send: new, or the one the first attempt of the same clientMsgId took. */
export type Allocation = Extract<SendOutcome, { kind: 'ok' | 'resent' }> & { access: SendAccess };

/**
 * Seeds a missing counter (or raises one behind MongoDB) to the highest stored seq: the one
 * way both user sends and system messages (system-messages.ts) repair the counter.
 */
export async function seedCounter(
  store: MongoStore,
  sendState: Pick<SendState, 'raiseCounter'>,
  conversationId: ObjectId,
): Promise<void> {
  await sendState.raiseCounter(hex(conversationId), await store.messages.latestSeq(conversationId));
}

/** More would mean the version keeps changing under us: answer UNAVAILABLE, the client retries. */
const MAX_ROUNDS = 4;

/**
 * Runs the send script until it answers with a seq. The two answers that need work first
 * have no side effect in Redis, so repeating the script is safe:
 * - `stale`: this node's membership entry is older than the conversation's version: reload
 *   it (the sender may have been removed meanwhile: check again);
 * - `seed`: the counter is missing (Redis came back empty, or it expired): seed it from the
 *   highest stored seq. A send still in flight elsewhere may hold a higher one; its insert or
 *   ours then hits the seq index, and `raiseAndRetry` moves the counter past it.
 */
export function createSeqAllocator(deps: {
  store: MongoStore;
  sendState: SendState;
  access: MembershipCache;
}) {
  const { store, sendState, access: cache } = deps;

  const seed = (conversationId: ObjectId) => seedCounter(store, sendState, conversationId);

  async function run(
    access: SendAccess,
    senderHex: string,
    request: Omit<SendRequest, 'version'>,
  ): Promise<Allocation> {
    let current = access;
    // On a Redis Cluster the budget is spent before the conversation's script: a round that
    // came back stale/seed says so, and the next one must not spend it again.
    let budgetSpent = request.budgetSpent === true;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const outcome: SendOutcome = await sendState.allocate({
        ...request,
        version: current.version,
        ...(budgetSpent ? { budgetSpent } : {}),
      });
      if ((outcome.kind === 'stale' || outcome.kind === 'seed') && outcome.budgetSpent)
        budgetSpent = true;
      switch (outcome.kind) {
        case 'ok':
        case 'resent':
          return { ...outcome, access: current };
        case 'stale':
          current = await cache.load(current.conversationId);
          cache.check(current, senderHex);
          break;
        case 'seed':
          await seed(current.conversationId);
          break;
      }
    }
    throw new Error(`send script did not settle in ${MAX_ROUNDS} rounds`);
  }

  return {
    allocate: run,

    /**
     * The insert hit the unique (conversationId, seq) index: the counter is behind MongoDB
     * (Redis came back from an older snapshot, or a seed raced a send in flight). Move it up to
     * the highest stored seq and take a fresh one for the same message id; the claim moves along.
     */
    async raiseAndRetry(
      access: SendAccess,
      senderHex: string,
      request: Omit<SendRequest, 'version' | 'mode'>,
    ): Promise<Allocation> {
      await seed(access.conversationId);
      return run(access, senderHex, { ...request, mode: 'retry' });
    },
  };
}
