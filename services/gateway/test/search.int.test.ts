/**
 * `GET /api/search` (docs/PROTOCOL.md#section-7) on two real nodes: every word of the query across the
 * caller's conversations, with the visibility rules of history, paged; and the measurement the
 * issue asks for (10,000 messages × 100 conversations) against a query that must scan.
 */
import type { Message } from '@chat/protocol';
import { ObjectId, termsOf, type MembershipDoc, type MessageDoc } from '@chat/store';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ack, createGroup, sendText, useTestCluster } from './fixtures/cluster.js';

const cluster = useTestCluster({ nodes: 2 });

interface SearchBody {
  results: { message: Message; conversationId: string }[];
  nextCursor?: string;
  error?: { code: string };
}

const search = (token: string, query: string, node = 1) =>
  cluster.http<SearchBody>(node, 'GET', `/api/search?${query}`, { token });

describe('search across conversations', () => {
  it('finds every word across the caller’s conversations, newest first, with history’s visibility', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['se_alice', 'se_bob', 'se_carol'].map((n) => cluster.register(n)),
    );
    const dm = await cluster.http<{ id: string }>(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    const team = await createGroup(cluster, alice!, [bob!, carol!]);
    const closed = await createGroup(cluster, alice!, [bob!]);
    const left = await createGroup(cluster, alice!, [bob!]);
    const hidden = await createGroup(cluster, carol!, [bob!]);
    const a = await cluster.connect(alice!, 0);
    const b = await cluster.connect(bob!, 1);
    const c = await cluster.connect(carol!, 0);

    const m1 = await sendText(a, dm.body.id, "Let's hike on Saturday!");
    const m2 = await sendText(c, team.id, 'Saturday hike plan: meet at 8');
    const m3 = await sendText(a, team.id, 'Bring HIKING boots, not just any boots');
    await sendText(a, closed.id, 'hike in the closed group');
    await sendText(a, left.id, 'hike where bob was removed');
    const early = await sendText(c, hidden.id, 'hike before bob could see');
    const m4 = await sendText(c, hidden.id, 'hike after bob could see');
    const gone = await sendText(a, dm.body.id, 'a hike for nobody');
    const mine = await sendText(a, dm.body.id, 'hike I delete for myself');
    const cafe = await sendText(a, dm.body.id, 'Café au lait?');

    expect(
      (await cluster.http(0, 'DELETE', `/api/conversations/${closed.id}`, { token: alice!.token }))
        .status,
    ).toBe(204);
    expect(
      (
        await cluster.http(0, 'DELETE', `/api/conversations/${left.id}/members/${bob!.id}`, {
          token: alice!.token,
        })
      ).status,
    ).toBe(204);
    // hiddenBefore (history a member may not see): set on Bob's membership directly.
    await cluster.nodes[0]!.deps.store.db.collection<MembershipDoc>('memberships').updateOne(
      { conversationId: new ObjectId(hidden.id), userId: new ObjectId(bob!.id) },
      { $set: { hiddenBefore: early.seq } },
    );
    expect((await ack(a, 'message:delete', { messageId: gone.id, scope: 'everyone' })).ok).toBe(
      true,
    );
    expect((await ack(b, 'message:delete', { messageId: mine.id, scope: 'me' })).ok).toBe(true);

    const hike = await search(bob!.token, 'q=Hike');
    expect(hike.status).toBe(200);
    expect(hike.body.results.map((r) => r.message.id)).toEqual([m4.id, m2.id, m1.id]);
    expect(hike.body.results.map((r) => r.conversationId)).toEqual([
      hidden.id,
      team.id,
      dm.body.id,
    ]);
    expect(hike.body.results[0]?.message.text).toBe('hike after bob could see');
    // Alice still sees the message Bob hid for himself, and not the closed group.
    const aliceHike = await search(alice!.token, 'q=hike', 0);
    expect(aliceHike.body.results.map((r) => r.message.id)).toContain(mine.id);
    expect(aliceHike.body.results.some((r) => r.conversationId === closed.id)).toBe(false);

    // Every word must be there; case and accents do not matter; whole words.
    expect(
      (await search(bob!.token, 'q=saturday%20HIKE')).body.results.map((r) => r.message.id),
    ).toEqual([m2.id, m1.id]);
    expect((await search(bob!.token, 'q=cafe')).body.results.map((r) => r.message.id)).toEqual([
      cafe.id,
    ]);
    expect((await search(bob!.token, 'q=boots')).body.results.map((r) => r.message.id)).toEqual([
      m3.id,
    ]);
    expect((await search(bob!.token, 'q=%3F%21')).body.results).toEqual([]);

    // An edit moves the message to its new words.
    expect((await ack(a, 'message:edit', { messageId: m3.id, text: 'Bring sandals' })).ok).toBe(
      true,
    );
    expect((await search(bob!.token, 'q=boots')).body.results).toEqual([]);
    expect((await search(bob!.token, 'q=sandals')).body.results.map((r) => r.message.id)).toEqual([
      m3.id,
    ]);

    // Pages: one result each, no repeats, same order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search(bob!.token, `q=hike&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.results.map((r) => r.message.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([m4.id, m2.id, m1.id]);

    // Strangers get nothing; bad input is VALIDATION_FAILED.
    const [eve] = await Promise.all([cluster.register('se_eve')]);
    expect((await search(eve!.token, 'q=hike')).body.results).toEqual([]);
    expect((await search(bob!.token, '')).status).toBe(400);
    expect((await search(bob!.token, 'q=hike&cursor=nope')).status).toBe(400);
    expect((await search(bob!.token, 'q=hike&limit=500')).status).toBe(400);
    expect((await search(bob!.token, 'q=hike&$where=1')).status).toBe(400);
  });

  it('uses the index: 10,000 messages × 100 conversations', async () => {
    const store = cluster.nodes[0]!.deps.store;
    const reader = await cluster.register('se_reader');
    const readerId = new ObjectId(reader.id);
    const other = new ObjectId();
    const now = Date.now();
    const conversations = Array.from({ length: 100 }, (_, i) => ({
      _id: new ObjectId(),
      type: 'group' as const,
      title: `bench ${i}`,
      createdBy: other,
      createdAt: new Date(now),
      updatedAt: new Date(now),
      lastActivityAt: new Date(now),
      seq: 100,
    }));
    await store.db.collection('conversations').insertMany(conversations);
    await store.db.collection<MembershipDoc>('memberships').insertMany(
      conversations.map((c) => ({
        _id: new ObjectId(),
        conversationId: c._id,
        userId: readerId,
        role: 'member' as const,
        joinedAt: new Date(now),
        readSeq: 100,
        deliveredSeq: 100,
      })),
    );
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    const docs: MessageDoc[] = [];
    conversations.forEach((c, ci) => {
      for (let seq = 1; seq <= 100; seq++) {
        // "needle" in 1 message of 100: 100 hits over 10,000 messages.
        const text = `${words[(seq + ci) % 8]} ${words[(seq * 3) % 8]} message ${seq}${seq === 50 ? ' needle' : ''}`;
        docs.push({
          _id: new ObjectId(),
          conversationId: c._id,
          seq,
          senderId: other,
          kind: 'text',
          text,
          attachmentIds: [],
          createdAt: new Date(now - (100 - seq) * 1000 - ci),
          terms: termsOf(text),
        });
      }
    });
    for (let i = 0; i < docs.length; i += 2000)
      await store.db.collection<MessageDoc>('messages').insertMany(docs.slice(i, i + 2000));

    const timed = async (fn: () => Promise<unknown>, runs = 15): Promise<number> => {
      await fn();
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
      samples.sort((x, y) => x - y);
      return samples[Math.floor(samples.length / 2)]!;
    };
    const scopes = conversations.map((c) => ({ conversationId: c._id }));
    let found = 0;
    const indexed = await timed(async () => {
      const page = await store.messages.searchAcross({
        terms: ['needle'],
        scopes,
        viewerId: readerId,
        limit: 20,
      });
      found = page.messages.length;
    });
    // The same question without an equality on `terms` cannot use the index: a scan.
    const scanned = await timed(
      () =>
        store.db
          .collection<MessageDoc>('messages')
          .find({
            conversationId: { $in: conversations.map((c) => c._id) },
            terms: { $all: ['needle'] },
            hiddenFor: { $ne: readerId },
            deletedAt: { $exists: false },
          })
          .sort({ createdAt: -1, _id: -1 })
          .limit(21)
          .toArray(),
      3, // over a second each: three are enough to see it
    );
    const http = await timed(() => search(reader.token, 'q=needle'), 10);
    console.log(
      `search 10,000 messages × 100 conversations: indexed ${indexed.toFixed(2)} ms, ` +
        `scan ${scanned.toFixed(2)} ms (medians of 15 / 3), HTTP GET /api/search ${http.toFixed(2)} ms (median of 10)`,
    );
    expect(found).toBe(20);
    expect((await search(reader.token, 'q=needle&limit=50')).body.results).toHaveLength(50);
    expect(indexed).toBeLessThan(scanned / 2);
  });
});
