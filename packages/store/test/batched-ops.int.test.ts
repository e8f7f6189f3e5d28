import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { batchedInsertOne } from '../src/batching/batched-ops.js';
import { DuplicateKeyError } from '../src/index.js';
import { useStore } from './fixture.js';

const ctx = useStore();

interface Row {
  _id: ObjectId;
  usernameLower: string;
}

describe('batchedInsertOne', () => {
  it('fails each item of one bulk insert with its own error and lets the others through', async () => {
    // `users` for its unique usernameLower index (INDEXES names the key pattern).
    const rows = ctx.store.db.collection<Row>('users');
    const taken = { _id: new ObjectId(), usernameLower: 'taken' };
    await rows.insertOne(taken);
    // One batch for all calls, so the driver answers with one bulk error for several items.
    const insert = batchedInsertOne(rows, { maxBatch: 10, maxInFlight: 1 });

    const results = await Promise.allSettled([
      insert({ _id: new ObjectId(), usernameLower: 'fresh' }),
      insert({ _id: new ObjectId(), usernameLower: 'taken' }),
      insert({ _id: taken._id, usernameLower: 'other' }),
      insert({ _id: new ObjectId(), usernameLower: 'fresh-too' }),
    ]);

    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const [, byUsername, byId] = results.map((r) =>
      r.status === 'rejected' ? r.reason : undefined,
    );
    expect(byUsername).toBeInstanceOf(DuplicateKeyError);
    expect(byId).toBeInstanceOf(DuplicateKeyError);
    expect((byUsername as DuplicateKeyError).keyPattern).toEqual({ usernameLower: 1 });
    expect((byId as DuplicateKeyError).keyPattern).toEqual({ _id: 1 });
    // Their own server messages, not the bulk error's summary.
    expect((byUsername as DuplicateKeyError).message).toContain('usernameLower_unique');
    expect((byId as DuplicateKeyError).message).toContain('_id_');
    expect(await rows.countDocuments({ usernameLower: { $in: ['fresh', 'fresh-too'] } })).toBe(2);
  });
});
