import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@chat/testkit';
import {
  connectMongo,
  DuplicateKeyError,
  InvalidCursorError,
  type ConversationDoc,
  type MongoStore,
} from '../src/index.js';
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

  it("a block flags the pair's direct conversation until no block is left either way", async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    const { conversation } = await store.conversations.getOrCreateDirect(a, b);
    const blocked = async () => (await store.conversations.findById(conversation._id))?.blocked;
    expect(await blocked()).toBeUndefined();
    await store.blocks.block(a, b);
    await store.blocks.block(b, a);
    expect(await blocked()).toBe(true);
    // One block lifted, the other still stands.
    await store.blocks.unblock(a, b);
    expect(await blocked()).toBe(true);
    await store.blocks.unblock(b, a);
    expect(await blocked()).toBeUndefined();
  });

  it('a direct conversation created while a block exists starts blocked', async () => {
    const { store } = ctx;
    const [a, b] = [new ObjectId(), new ObjectId()];
    await store.blocks.block(b, a);
    const { conversation } = await store.conversations.getOrCreateDirect(a, b);
    expect(conversation.blocked).toBe(true);
    expect((await store.conversations.findById(conversation._id))?.blocked).toBe(true);
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
      await store.db.collection('conversations').countDocuments({
        directKey: store.conversations.directKeyOf(a, b),
      }),
    ).toBe(1);
  });
});

/** The preview of message `seq` sent now (or at `createdAt`). */
function preview(seq: number, text?: string, createdAt = new Date()) {
  return {
    id: new ObjectId(),
    seq,
    senderId: new ObjectId(),
    kind: 'text' as const,
    ...(text !== undefined ? { text } : {}),
    createdAt,
  };
}

describe('conversation activity (write-behind)', () => {
  it('the newest seq wins, this node shows it at once, another node once it has landed', async () => {
    const { store, server } = ctx;
    const other = await connectMongo({ url: server.url, dbName: server.databaseName });
    try {
      const conv = await store.conversations.createGroup({
        title: 'wb',
        createdBy: new ObjectId(),
      });
      const newest = preview(3, '$seq is text, not a field path');
      for (const p of [preview(1, 'one'), newest, preview(2, 'two')])
        store.conversations.recordMessage({ conversationId: conv._id, preview: p });
      const here = await store.conversations.findById(conv._id);
      expect(here?.seq).toBe(3);
      expect(here?.lastMessage?.id.equals(newest.id)).toBe(true);
      expect((await other.conversations.findById(conv._id))?.seq).toBe(0);
      await store.conversations.flushActivity();
      const there = await other.conversations.findById(conv._id);
      expect(there?.seq).toBe(3);
      expect(there?.lastMessage?.text).toBe('$seq is text, not a field path');
      expect(there?.lastActivityAt.getTime()).toBe(newest.createdAt.getTime());
      // An older one landing late (another node's) changes nothing.
      other.conversations.recordMessage({ conversationId: conv._id, preview: preview(2, 'late') });
      await other.conversations.flushActivity();
      expect(
        (await other.conversations.findById(conv._id))?.lastMessage?.id.equals(newest.id),
      ).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('many conversations share one write; a closed one stays closed', async () => {
    const { store } = ctx;
    const createdBy = new ObjectId();
    const convs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.conversations.createGroup({ title: `b${i}`, createdBy }),
      ),
    );
    const closed = convs[0]!;
    await store.conversations.close(closed._id);
    for (const [i, c] of convs.entries())
      store.conversations.recordMessage({ conversationId: c._id, preview: preview(i + 1) });
    await store.conversations.flushActivity();
    const stored = await store.db
      .collection<ConversationDoc>('conversations')
      .find({ _id: { $in: convs.map((c) => c._id) } })
      .toArray();
    expect(stored.map((c) => c.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(stored.find((c) => c._id.equals(closed._id))?.closedAt).toBeInstanceOf(Date);
  });

  it('an edit or delete of a young message reaches its preview even if that lands after it', async () => {
    const { store, server } = ctx;
    const conv = await store.conversations.createGroup({ title: 'rev', createdBy: new ObjectId() });
    const p = preview(1, 'oops');
    // The preview is still queued on this node when the delete arrives (from any node).
    store.conversations.recordMessage({ conversationId: conv._id, preview: p });
    const other = await connectMongo({ url: server.url, dbName: server.databaseName });
    try {
      await other.conversations.reviseLastMessage(
        conv._id,
        { id: p.id, createdAt: p.createdAt },
        'deleted',
      );
      await store.conversations.flushActivity();
      await waitFor(
        async () => (await other.conversations.findById(conv._id))?.lastMessage?.kind === 'deleted',
        { timeout: 10_000, message: 'the delete applied again after the preview landed' },
      );
      expect((await other.conversations.findById(conv._id))?.lastMessage?.text).toBeUndefined();
    } finally {
      await other.close();
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
    for (let i = 1; i <= 3; i++) {
      store.conversations.recordMessage({
        conversationId: c1._id,
        preview: preview(i, 'x', new Date(Date.UTC(2026, 0, 2, 0, i))),
      });
    }
    await store.conversations.flushActivity();
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
    /** A group `title` created on 2025-01-01, `me` in it as `role` since `joinedAt`. */
    const groupOf = async (title: string, role: 'owner' | 'member', joinedAt: Date) => {
      const at = new Date(Date.UTC(2025, 0, 1));
      const group = await store.conversations.createGroup({ title, createdBy: me, at });
      await store.memberships.add(group._id, { userId: me, role, joinedAt });
      return group;
    };
    await groupOf('old', 'owner', new Date(Date.UTC(2025, 0, 1)));
    const active = await groupOf('active', 'owner', new Date(Date.UTC(2025, 0, 1)));
    await groupOf('joined', 'member', new Date(Date.UTC(2026, 5, 1)));
    store.conversations.recordMessage({
      conversationId: active._id,
      preview: preview(1, undefined, new Date(Date.UTC(2026, 5, 2))),
    });
    await store.conversations.flushActivity();
    const changed = await store.conversations.changedSince(me, new Date(Date.UTC(2026, 0, 1)));
    expect(changed.map((v) => v.conversation.title).sort()).toEqual(['active', 'joined']);
  });
});
