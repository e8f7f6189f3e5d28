import type { IndexDescription } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { INDEXES, SHARD_KEYS, SHARDED_INDEXES, shardKeyOf } from '../src/index.js';

/**
 * The sharding plan against the indexes, without a server: MongoDB enforces a unique index
 * on a sharded collection per shard only, so it must start with the shard key (the `_id`
 * index is unique per collection anyway and exempt by MongoDB's own rules).
 *
 * Two index sets: SHARDED_INDEXES (MONGO_SHARDED=true) must fit the plan entirely; INDEXES
 * (the default, one replica set) keeps the one index that does not, the unsharded
 * `(senderId, clientMsgId)`, because there it costs nothing: one command per send batch instead
 * of the proxy's two (docs/SCALING.md "MongoDB: sharding plan").
 */

/** Collections left unsharded on purpose (shard-keys.ts says why); their unique indexes are free. */
const UNSHARDED = ['users', 'blocks', 'conversations', 'refresh_tokens'];

type Indexes = Readonly<Record<string, readonly IndexDescription[]>>;

const keyFields = (key: unknown): string[] => Object.keys(key as Record<string, unknown>);

/** Unique indexes that do not start with their collection's shard key, and the ones that do. */
function fitOf(indexes: Indexes): { fits: string[]; misfits: string[] } {
  const fits: string[] = [];
  const misfits: string[] = [];
  for (const [collection, list] of Object.entries(indexes)) {
    const shardKey = shardKeyOf(collection);
    for (const index of list.filter((i) => i.unique === true)) {
      const name = `${collection}.${String(index.name)}`;
      if (!shardKey) {
        expect(UNSHARDED, name).toContain(collection);
        continue;
      }
      const prefix = keyFields(index.key).slice(0, shardKey.length);
      (prefix.join() === shardKey.join() ? fits : misfits).push(name);
    }
  }
  return { fits, misfits };
}

describe('shard keys', () => {
  it('every collection either mode indexes has a plan, and every plan is used', () => {
    const planned = Object.keys(SHARD_KEYS).sort();
    expect(planned).toEqual(Object.keys(SHARDED_INDEXES).sort());
    for (const collection of Object.keys(INDEXES)) expect(planned).toContain(collection);
    const unsharded = planned.filter((c) => SHARD_KEYS[c]?.key === 'unsharded');
    expect(unsharded.sort()).toEqual([...UNSHARDED].sort());
  });

  it('sharded mode: every unique index starts with its collection’s shard key, no misfit left', () => {
    const { fits, misfits } = fitOf(SHARDED_INDEXES);
    expect(misfits).toEqual([]);
    // The ones that must fit: the seq order, idempotency per conversation, one membership per
    // pair, one reaction per emoji. The proxy's rule is its `_id` (its whole shard key).
    expect(fits).toEqual(
      expect.arrayContaining([
        'messages.conversation_seq_unique',
        'messages.conversation_sender_clientMsgId_unique',
        'memberships.user_conversation_unique',
        'reactions.message_user_emoji_unique',
      ]),
    );
    expect(shardKeyOf('clientMsgIds')).toEqual(['_id']);
  });

  it('unsharded mode: what differs is the (senderId, clientMsgId) index and the missing proxy', () => {
    expect(fitOf(INDEXES).misfits).toEqual(['messages.sender_clientMsgId_unique']);
    const differing = Object.keys(SHARDED_INDEXES).filter((c) => {
      const names = (set: Indexes) => (set[c] ?? []).map((i) => String(i.name)).join();
      return c in INDEXES ? names(INDEXES) !== names(SHARDED_INDEXES) : true;
    });
    expect(differing.sort()).toEqual(['clientMsgIds', 'messages']);
  });

  it('the rule catches an index that does not fit (the memberships index it replaced)', () => {
    const { misfits } = fitOf({
      memberships: [
        { name: 'conversation_user_unique', key: { conversationId: 1, userId: 1 }, unique: true },
      ],
    });
    expect(misfits).toEqual(['memberships.conversation_user_unique']);
  });
});
