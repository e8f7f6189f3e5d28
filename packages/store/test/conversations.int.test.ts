import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DuplicateKeyError, InvalidCursorError, type MongoStore } from '../src/index.js';
import { useStore } from './fixture.js';

const ctx = useStore();

let counter = 0;
async function newUser(store: MongoStore, name = `user${++counter}_${Date.now() % 100000}`) {
  return store.users.create({ username: name, passwordHash: 'h' });
}

describe('users', () => {
  it('username is unique case-insensitively → DuplicateKeyError', async () => {
    const { store } = ctx;
    await store.users.create({ username: 'CaseUser' });
    const err = await store.users.create({ username: 'caseuser' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).involves('usernameLower')).toBe(true);
    expect((await store.users.findByUsername('CASEUSER'))?.username).toBe('CaseUser');
  });

  it('prefix search is anchored, case-insensitive and regex-safe', async () => {
    const { store } = ctx;
    await store.users.create({ username: 'prefix.one', displayName: 'Zed' });
    await store.users.create({ username: 'prefixXone', displayName: 'Other' });
    await store.users.create({ username: 'noprefix', displayName: 'Prefix Person' });
    const names = (await store.users.searchByPrefix('PREFIX', 10)).map((u) => u.username).sort();
    expect(names).toEqual(['noprefix', 'prefix.one', 'prefixXone']);
    // "." must not match "X".
    expect((await store.users.searchByPrefix('prefix.', 10)).map((u) => u.username)).toEqual([
      'prefix.one',
    ]);
    expect(await store.users.searchByPrefix('.*', 10)).toEqual([]);
    expect(await store.users.searchByPrefix('(a+)+$', 10)).toEqual([]);
    expect(await store.users.searchByPrefix('prefix', 1)).toHaveLength(1);
  });

  it('upsertExternal creates once and resolves username clashes', async () => {
    const { store } = ctx;
    await store.users.create({ username: 'extuser' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.users.upsertExternal('idp|42', 'ExtUser')),
    );
    expect(new Set(results.map((r) => r.user._id.toHexString())).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0]?.user.username).toMatch(/^extuser_[a-z0-9]+$/);
  });

  it('setLastSeen only moves forward', async () => {
    const { store } = ctx;
    const u = await newUser(store);
    expect(await store.users.setLastSeen(u._id, new Date(2000))).toBe(true);
    expect(await store.users.setLastSeen(u._id, new Date(1000))).toBe(false);
    expect(await store.users.setLastSeen(u._id, new Date(3000))).toBe(true);
    expect((await store.users.findById(u._id))?.lastSeenAt?.getTime()).toBe(3000);
  });
});

describe('blocks', () => {
  it('block/unblock are idempotent and checked either way', async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    expect(await store.blocks.isBlockedEitherWay(a, b)).toBe(false);
    expect(await store.blocks.block(a, b)).toBe(true);
    expect(await store.blocks.block(a, b)).toBe(false);
    expect(await store.blocks.isBlockedEitherWay(b, a)).toBe(true);
    expect(await store.blocks.isBlocked(b, a)).toBe(false);
    expect(await store.blocks.unblock(a, b)).toBe(true);
    expect(await store.blocks.unblock(a, b)).toBe(false);
    expect(await store.blocks.isBlockedEitherWay(a, b)).toBe(false);
  });

  it("a block refuses seq allocation in the pair's direct conversation until no block is left", async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    const { conversation } = await store.conversations.getOrCreateDirect(a, b);
    const preview = () => ({
      id: new ObjectId(),
      senderId: a,
      kind: 'text' as const,
      createdAt: new Date(),
    });
    expect(await store.conversations.allocateSeq(conversation._id, preview())).toBe(1);
    await store.blocks.block(a, b);
    await store.blocks.block(b, a);
    expect(await store.conversations.allocateSeq(conversation._id, preview())).toBeNull();
    expect((await store.conversations.findById(conversation._id))?.blocked).toBe(true);
    // One block lifted, the other still stands.
    await store.blocks.unblock(a, b);
    expect(await store.conversations.allocateSeq(conversation._id, preview())).toBeNull();
    await store.blocks.unblock(b, a);
    expect(await store.conversations.allocateSeq(conversation._id, preview())).toBe(2);
  });

  it('a direct conversation created while a block exists starts blocked', async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    await store.blocks.block(b, a);
    const { conversation } = await store.conversations.getOrCreateDirect(a, b);
    expect(conversation.blocked).toBe(true);
    const preview = {
      id: new ObjectId(),
      senderId: a,
      kind: 'text' as const,
      createdAt: new Date(),
    };
    expect(await store.conversations.allocateSeq(conversation._id, preview)).toBeNull();
  });
});

describe('direct conversations', () => {
  it('20 concurrent get-or-create calls from both sides yield one conversation', async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? store.conversations.getOrCreateDirect(a, b)
          : store.conversations.getOrCreateDirect(b, a),
      ),
    );
    expect(new Set(results.map((r) => r.conversation._id.toHexString())).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(
      await store.conversations.collection.countDocuments({
        directKey: store.conversations.directKeyOf(a, b),
      }),
    ).toBe(1);
  });
});

describe('allocateSeq', () => {
  it('50 concurrent allocations get 1..50 and the preview matches the last seq', async () => {
    const { store } = ctx;
    const conv = await store.conversations.createGroup({ title: 'seq', createdBy: new ObjectId() });
    const sender = new ObjectId();
    const ids = Array.from({ length: 50 }, () => new ObjectId());
    const seqs = await Promise.all(
      ids.map((id, i) =>
        store.conversations.allocateSeq(conv._id, {
          id,
          senderId: sender,
          text: `m${i}`,
          kind: 'text',
          createdAt: new Date(),
        }),
      ),
    );
    expect([...seqs].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const after = await store.conversations.findById(conv._id);
    expect(after?.seq).toBe(50);
    const lastIndex = seqs.indexOf(50);
    expect(after?.lastMessage?.id.equals(ids[lastIndex] ?? new ObjectId())).toBe(true);
  });

  it('refuses a closed or missing conversation', async () => {
    const { store } = ctx;
    const conv = await store.conversations.createGroup({
      title: 'closing',
      createdBy: new ObjectId(),
    });
    expect(await store.conversations.close(conv._id)).not.toBeNull();
    expect(await store.conversations.close(conv._id)).toBeNull();
    const preview = {
      id: new ObjectId(),
      senderId: new ObjectId(),
      kind: 'text' as const,
      createdAt: new Date(),
    };
    expect(await store.conversations.allocateSeq(conv._id, preview)).toBeNull();
    expect(await store.conversations.allocateSeq(new ObjectId(), preview)).toBeNull();
    expect((await store.conversations.findById(conv._id))?.closedAt).toBeInstanceOf(Date);
  });

  it('concurrent sends over many conversations (one batched update) get contiguous seqs in each', async () => {
    const { store } = ctx;
    const createdBy = new ObjectId();
    const convs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.conversations.createGroup({ title: `b${i}`, createdBy }),
      ),
    );
    const closed = await store.conversations.createGroup({ title: 'closed', createdBy });
    await store.conversations.close(closed._id);
    const preview = (text: string) => ({
      id: new ObjectId(),
      senderId: createdBy,
      text,
      kind: 'text' as const,
      createdAt: new Date(),
    });
    // Three rounds of 12 × 5 allocations issued together, so batches span conversations.
    const byConv = new Map<string, number[]>();
    const lastIdOf = new Map<string, { id: ObjectId; seq: number }>();
    for (let round = 0; round < 3; round++) {
      const calls = convs.flatMap((c) =>
        Array.from({ length: 5 }, (_, k) => {
          // A preview text starting with "$" must be stored as data, not read as a field path.
          const p = preview(round === 2 && k === 4 ? '$seq is text' : `r${round}k${k}`);
          return store.conversations.allocateSeq(c._id, p).then((seq) => ({ c, p, seq }));
        }),
      );
      const closedSeq = store.conversations.allocateSeq(closed._id, preview('nope'));
      for (const { c, p, seq } of await Promise.all(calls)) {
        expect(seq).not.toBeNull();
        const key = c._id.toHexString();
        byConv.set(key, [...(byConv.get(key) ?? []), seq ?? 0]);
        if ((lastIdOf.get(key)?.seq ?? 0) < (seq ?? 0))
          lastIdOf.set(key, { id: p.id, seq: seq ?? 0 });
      }
      expect(await closedSeq).toBeNull();
    }
    for (const c of convs) {
      const key = c._id.toHexString();
      expect([...(byConv.get(key) ?? [])].sort((x, y) => x - y)).toEqual(
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      const stored = await store.conversations.collection.findOne({ _id: c._id });
      expect(stored?.seq).toBe(15);
      expect(stored?.lastMessage?.id.equals(lastIdOf.get(key)?.id ?? new ObjectId())).toBe(true);
      expect(stored?.lastMessage?.text).toBe('$seq is text');
      // The batched path ran (it records grants) and keeps the record bounded.
      expect(stored?.seqGrants?.length).toBeGreaterThan(0);
      expect(stored?.seqGrants?.length).toBeLessThanOrEqual(16);
    }
  });
});

describe('memberships', () => {
  it('add is idempotent (also concurrently); remove deletes', async () => {
    const { store } = ctx;
    const conv = new ObjectId();
    const user = new ObjectId();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.memberships.add(conv, { userId: user, role: 'member' }),
      ),
    );
    expect(results.filter((r) => r.added)).toHaveLength(1);
    expect(await store.memberships.countMembers(conv)).toBe(1);
    const added = await store.memberships.addMany(conv, [
      { userId: user, role: 'admin' },
      { userId: new ObjectId(), role: 'member' },
    ]);
    expect(added).toHaveLength(1);
    expect((await store.memberships.find(conv, user))?.role).toBe('member');
    expect((await store.memberships.setRole(conv, user, 'admin'))?.role).toBe('admin');
    expect(await store.memberships.remove(conv, user)).toBe(true);
    expect(await store.memberships.remove(conv, user)).toBe(false);
    expect(await store.memberships.find(conv, user)).toBeNull();
    expect(await store.memberships.countMembers(conv)).toBe(1);
  });

  it('read/delivered cursors only move forward; read implies delivered', async () => {
    const { store } = ctx;
    const conv = new ObjectId();
    const user = new ObjectId();
    await store.memberships.add(conv, { userId: user, role: 'member' });
    expect(await store.memberships.advanceDelivered(conv, user, 5)).toEqual({
      value: 5,
      moved: true,
    });
    expect(await store.memberships.advanceDelivered(conv, user, 3)).toEqual({
      value: 5,
      moved: false,
    });
    expect(await store.memberships.advanceRead(conv, user, 8)).toEqual({ value: 8, moved: true });
    expect(await store.memberships.advanceRead(conv, user, 2)).toEqual({ value: 8, moved: false });
    expect(await store.memberships.advanceRead(conv, user, 8)).toEqual({ value: 8, moved: false });
    const m = await store.memberships.find(conv, user);
    expect(m?.readSeq).toBe(8);
    expect(m?.deliveredSeq).toBe(8);
    expect(await store.memberships.advanceRead(conv, new ObjectId(), 1)).toBeNull();
    // Concurrent moves from several devices end at the maximum.
    await Promise.all([12, 30, 15, 29, 9].map((s) => store.memberships.advanceRead(conv, user, s)));
    expect((await store.memberships.find(conv, user))?.readSeq).toBe(30);
  });
});

describe('conversation list', () => {
  it('orders by activity, pages with an opaque cursor and reports unread counts', async () => {
    const { store } = ctx;
    const me = new ObjectId();
    const convs = [];
    for (let i = 0; i < 7; i++) {
      const c = await store.conversations.createGroup({
        title: `c${i}`,
        createdBy: me,
        at: new Date(Date.UTC(2026, 0, 1, 0, i)),
      });
      await store.memberships.add(c._id, { userId: me, role: 'owner' });
      convs.push(c);
    }
    // Not mine, and a closed one of mine: both must not appear.
    await store.conversations.createGroup({ title: 'other', createdBy: new ObjectId() });
    const closed = convs.pop();
    if (!closed) throw new Error('unreachable');
    await store.conversations.close(closed._id);
    // Activity on c1 moves it to the top; 3 messages there, 1 read.
    const c1 = convs[1];
    if (!c1) throw new Error('unreachable');
    for (let i = 0; i < 3; i++) {
      await store.conversations.allocateSeq(c1._id, {
        id: new ObjectId(),
        senderId: new ObjectId(),
        kind: 'text',
        text: 'x',
        createdAt: new Date(Date.UTC(2026, 0, 2, 0, i)),
      });
    }
    await store.memberships.advanceRead(c1._id, me, 1);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.conversations.listForUser(me, {
        limit: 4,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((v) => v.conversation.title ?? ''));
      if (pages === 0) {
        expect(page.items[0]?.conversation._id.equals(c1._id)).toBe(true);
        expect(page.items[0]?.unreadCount).toBe(2);
        expect(page.items[0]?.membership.readSeq).toBe(1);
        expect(page.items[1]?.unreadCount).toBe(0);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(['c1', 'c5', 'c4', 'c3', 'c2', 'c0']);
    await expect(store.conversations.listForUser(me, { cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('breaks activity ties by id so paging neither skips nor repeats', async () => {
    const { store } = ctx;
    const me = new ObjectId();
    const at = new Date(Date.UTC(2026, 1, 1));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await store.conversations.createGroup({ title: `tie${i}`, createdBy: me, at });
      await store.memberships.add(c._id, { userId: me, role: 'owner' });
      ids.push(c._id.toHexString());
    }
    const got: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await store.conversations.listForUser(me, {
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      got.push(...page.items.map((v) => v.conversation._id.toHexString()));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(got).toEqual([...ids].reverse());
  });

  it('changedSince returns joined or active conversations after the time', async () => {
    const { store } = ctx;
    const me = new ObjectId();
    const old = await store.conversations.createGroup({
      title: 'old',
      createdBy: me,
      at: new Date(Date.UTC(2025, 0, 1)),
    });
    await store.memberships.add(old._id, {
      userId: me,
      role: 'owner',
      joinedAt: new Date(Date.UTC(2025, 0, 1)),
    });
    const active = await store.conversations.createGroup({
      title: 'active',
      createdBy: me,
      at: new Date(Date.UTC(2025, 0, 1)),
    });
    await store.memberships.add(active._id, {
      userId: me,
      role: 'owner',
      joinedAt: new Date(Date.UTC(2025, 0, 1)),
    });
    const joined = await store.conversations.createGroup({
      title: 'joined',
      createdBy: me,
      at: new Date(Date.UTC(2025, 0, 1)),
    });
    await store.memberships.add(joined._id, {
      userId: me,
      role: 'member',
      joinedAt: new Date(Date.UTC(2026, 5, 1)),
    });
    await store.conversations.allocateSeq(active._id, {
      id: new ObjectId(),
      senderId: me,
      kind: 'text',
      createdAt: new Date(Date.UTC(2026, 5, 2)),
    });
    const changed = await store.conversations.changedSince(me, new Date(Date.UTC(2026, 0, 1)));
    expect(changed.map((v) => v.conversation.title).sort()).toEqual(['active', 'joined']);
  });
});
