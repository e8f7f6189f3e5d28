import { describe, expect, it } from 'vitest';
import { INDEXES, SHARD_KEYS, shardKeyOf } from '../src/index.js';

/**
 * The sharding plan against the indexes, without a server: MongoDB enforces a unique index
 * on a sharded collection per shard only, so it must start with the shard key (the `_id`
 * index is unique per collection anyway and exempt by MongoDB's own rules).
 */

/** Collections left unsharded on purpose (shard-keys.ts says why); their unique indexes are free. */
const UNSHARDED = ['users', 'blocks', 'conversations', 'refresh_tokens'];

/**
 * The one unique index that does not fit yet, on purpose: `(senderId, clientMsgId)` makes a
 * clientMsgId reused in ANOTHER conversation CONFLICT. Under the messages shard key it needs a
 * proxy collection, i.e. a second MongoDB command per insert batch, against the send path's
 * one command per batch (docs/SCALING.md "MongoDB: sharding plan"). This list must shrink,
 * never grow.
 */
const KNOWN_MISFITS = ['messages.sender_clientMsgId_unique'];

const keyFields = (key: unknown): string[] => Object.keys(key as Record<string, unknown>);

describe('shard keys', () => {
  it('every collection the store indexes has a plan', () => {
    const planned = Object.keys(SHARD_KEYS).sort();
    expect(planned).toEqual(Object.keys(INDEXES).sort());
    const unsharded = planned.filter((c) => SHARD_KEYS[c]?.key === 'unsharded');
    expect(unsharded.sort()).toEqual([...UNSHARDED].sort());
  });

  it('every unique index starts with its collection’s shard key', () => {
    const checked: string[] = [];
    const misfits: string[] = [];
    for (const [collection, indexes] of Object.entries(INDEXES)) {
      const shardKey = shardKeyOf(collection);
      for (const index of indexes.filter((i) => i.unique === true)) {
        if (!shardKey) {
          expect(UNSHARDED, `${collection}.${index.name}`).toContain(collection);
          continue;
        }
        const name = `${collection}.${String(index.name)}`;
        const prefix = keyFields(index.key).slice(0, shardKey.length);
        if (KNOWN_MISFITS.includes(name)) {
          expect(prefix, name).not.toEqual([...shardKey]);
          misfits.push(name);
          continue;
        }
        expect(prefix, name).toEqual([...shardKey]);
        checked.push(name);
      }
    }
    expect(misfits).toEqual(KNOWN_MISFITS);
    // The ones that must fit: the seq order, one membership per pair, one reaction per emoji.
    expect(checked).toEqual(
      expect.arrayContaining([
        'messages.conversation_seq_unique',
        'memberships.user_conversation_unique',
        'reactions.message_user_emoji_unique',
      ]),
    );
  });

  it('the rule catches an index that does not fit (the memberships index it replaced)', () => {
    const shardKey = shardKeyOf('memberships') ?? [];
    const old = { conversationId: 1, userId: 1 };
    expect(keyFields(old).slice(0, shardKey.length)).not.toEqual([...shardKey]);
  });
});
