/**
 * Receipts after a reload (docs/PROTOCOL.md#section-7): every member's cursors in the conversation DTO, and
 * "read by" per message, on two real nodes sharing Redis and Mongo.
 */
import type { Conversation } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { ack, createGroup, sendText, useTestCluster } from './fixtures/cluster.js';

const cluster = useTestCluster({ nodes: 2 });

interface Receipts {
  readBy: { userId: string; at: string }[];
  deliveredTo: { userId: string; at: string }[];
}

describe('receipts that survive a reload', () => {
  it('members carry readSeq/deliveredSeq; GET …/receipts lists who read and who has each message', async () => {
    const [alice, bob, carol, dave, eve] = await Promise.all(
      ['rc_alice', 'rc_bob', 'rc_carol', 'rc_dave', 'rc_eve'].map((n) => cluster.register(n)),
    );
    const group = await createGroup(cluster, alice!, [bob!, carol!]);
    const aliceSocket = await cluster.connect(alice!, 0);
    const bobSocket = await cluster.connect(bob!, 1);
    const carolSocket = await cluster.connect(carol!, 0);
    const m1 = await sendText(aliceSocket, group.id, 'first');
    const m2 = await sendText(aliceSocket, group.id, 'second');
    expect(
      (await ack(bobSocket, 'conversation:read', { conversationId: group.id, seq: 2 })).ok,
    ).toBe(true);
    const delivered = await ack<{ deliveredSeq: number }>(carolSocket, 'conversation:delivered', {
      conversationId: group.id,
      seq: 1,
    });
    expect(delivered.deliveredSeq).toBe(1);
    await cluster.settle();

    // A "reload": the conversation as fetched fresh on the other node.
    const conv = await cluster.http<Conversation>(1, 'GET', `/api/conversations/${group.id}`, {
      token: alice!.token,
    });
    const cursor = (id: string) => {
      const m = conv.body.members.find((x) => x.userId === id);
      return m && { readSeq: m.readSeq, deliveredSeq: m.deliveredSeq };
    };
    expect(cursor(bob!.id)).toEqual({ readSeq: 2, deliveredSeq: 2 });
    expect(cursor(carol!.id)).toEqual({ readSeq: 0, deliveredSeq: 1 });
    // Sending moved Alice's own cursor (written behind; settled above).
    expect(cursor(alice!.id)?.readSeq).toBe(2);
    // The list carries them too.
    const list = await cluster.http<{ conversations: Conversation[] }>(
      0,
      'GET',
      '/api/conversations',
      {
        token: carol!.token,
      },
    );
    const listed = list.body.conversations.find((c) => c.id === group.id);
    expect(listed?.members.find((m) => m.userId === bob!.id)?.readSeq).toBe(2);

    // Dave joins after both messages: his cursor starts at 2 but he read neither.
    const added = await cluster.http(0, 'POST', `/api/conversations/${group.id}/members`, {
      token: alice!.token,
      body: { userIds: [dave!.id] },
    });
    expect(added.status).toBe(200);

    const receipts = async (messageId: string, token = alice!.token, node = 1) =>
      cluster.http<Receipts>(
        node,
        'GET',
        `/api/conversations/${group.id}/messages/${messageId}/receipts`,
        {
          token,
        },
      );
    const r1 = await receipts(m1.id);
    expect(r1.status).toBe(200);
    expect(r1.body.readBy.map((r) => r.userId)).toEqual([bob!.id]);
    expect(r1.body.deliveredTo.map((r) => r.userId).sort()).toEqual([bob!.id, carol!.id].sort());
    for (const r of [...r1.body.readBy, ...r1.body.deliveredTo]) {
      expect(Date.parse(r.at)).toBeGreaterThanOrEqual(Date.parse(m1.createdAt));
    }
    const r2 = await receipts(m2.id, bob!.token, 0);
    expect(r2.body.readBy.map((r) => r.userId)).toEqual([bob!.id]);
    expect(r2.body.deliveredTo.map((r) => r.userId)).toEqual([bob!.id]);

    // Outsiders, wrong conversation, hidden for me: NOT_FOUND.
    expect((await receipts(m1.id, eve!.token)).status).toBe(404);
    const other = await createGroup(cluster, alice!, [bob!]);
    const elsewhere = await sendText(aliceSocket, other.id, 'elsewhere');
    expect((await receipts(elsewhere.id)).status).toBe(404);
    expect((await ack(bobSocket, 'message:delete', { messageId: m1.id, scope: 'me' })).ok).toBe(
      true,
    );
    expect((await receipts(m1.id, bob!.token)).status).toBe(404);
    const bad = await cluster.http(
      0,
      'GET',
      `/api/conversations/${group.id}/messages/nope/receipts`,
      {
        token: alice!.token,
      },
    );
    expect(bad.status).toBe(400);
  });
});
