/**
 * Group photo: PATCH /api/conversations/:id { avatarAttachmentId | avatarUrl: null },
 * owner/admin only, from the caller's own image upload; served at /avatars/:id while the group
 * shows it; every member hears of it live (conversation:updated + an `avatar_changed` line).
 */
import type { Conversation, Message } from '@chat/protocol';
import { waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import { createGroup, useTestCluster, type TestUser, uploadAs } from './fixtures/cluster.js';
import { pdf, png } from './fixtures/files.js';

const cluster = useTestCluster({ nodes: 2 });

const upload = (user: TestUser, bytes: Buffer, fileName: string) =>
  uploadAs(cluster, user.token, bytes, fileName);

type Answer = Conversation & { error?: { code: string } };
const patchGroup = (node: number, user: TestUser, id: string, body: unknown) =>
  cluster.http<Answer>(node, 'PATCH', `/api/conversations/${id}`, { token: user.token, body });

const served = async (attachmentId: string, node = 0) =>
  (await fetch(`${cluster.nodes[node]!.url}/avatars/${attachmentId}`)).status;

describe('group photo', () => {
  it('owner and admin set it from their own upload; members on another node see it live', async () => {
    const { ann, bob, cat } = await people(cluster, 'ann', 'bob', 'cat');
    const group = await createGroup(cluster, ann, [bob, cat]);
    expect(
      (
        await cluster.http(0, 'PATCH', `/api/conversations/${group.id}/members/${bob.id}`, {
          token: ann.token,
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(200);
    const catSocket = await cluster.connect(cat, 1);

    // The owner, through node 0; Cat (node 1) gets the new view and the system line.
    const photo = await upload(ann, png(32, 32, [10, 200, 30]), 'team.png');
    const updated = waitForEvent<{ conversation: Conversation }>(
      catSocket,
      'conversation:updated',
      { timeout: 5000, filter: (e) => e.conversation.avatarUrl === `/avatars/${photo.id}` },
    );
    const line = waitForEvent<{ message: Message }>(catSocket, 'message:new', {
      timeout: 5000,
      filter: (e) => e.message.system?.type === 'avatar_changed',
    });
    const set = await patchGroup(0, ann, group.id, { avatarAttachmentId: photo.id });
    expect(set.status).toBe(200);
    expect(set.body.avatarUrl).toBe(`/avatars/${photo.id}`);
    expect((await updated).conversation.id).toBe(group.id);
    expect((await line).message).toMatchObject({
      conversationId: group.id,
      kind: 'system',
      senderId: ann.id,
      system: { type: 'avatar_changed', actorId: ann.id, avatarUrl: `/avatars/${photo.id}` },
    });
    // Public like a user's avatar (an <img> sends no token), with the bytes uploaded.
    const img = await fetch(`${cluster.nodes[1]!.url}/avatars/${photo.id}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await img.arrayBuffer())).toEqual(png(32, 32, [10, 200, 30]));

    // The admin replaces it through node 1: the old photo is no longer served.
    const second = await upload(bob, png(16, 16, [0, 0, 255]), 'b.png');
    const replaced = await patchGroup(1, bob, group.id, { avatarAttachmentId: second.id });
    expect(replaced.status).toBe(200);
    expect(replaced.body.avatarUrl).toBe(`/avatars/${second.id}`);
    expect(await served(photo.id)).toBe(404);
    expect(await served(second.id, 1)).toBe(200);

    // Removed: gone from everyone's view and no longer served; the line says so.
    const removedLine = waitForEvent<{ message: Message }>(catSocket, 'message:new', {
      timeout: 5000,
      filter: (e) => e.message.system?.type === 'avatar_changed' && !e.message.system.avatarUrl,
    });
    const removed = await patchGroup(0, bob, group.id, { avatarUrl: null });
    expect(removed.status).toBe(200);
    expect(removed.body.avatarUrl).toBeUndefined();
    expect((await removedLine).message.system).toEqual({ type: 'avatar_changed', actorId: bob.id });
    expect(await served(second.id)).toBe(404);
    const catView = await cluster.http<Conversation>(1, 'GET', `/api/conversations/${group.id}`, {
      token: cat.token,
    });
    expect(catView.body.avatarUrl).toBeUndefined();

    // Removing it again is no change: no second line. Lines are stored before the answer, so
    // history right after holds exactly the three changes.
    expect((await patchGroup(0, ann, group.id, { avatarUrl: null })).status).toBe(200);
    const history = await cluster.http<{ messages: Message[] }>(
      1,
      'GET',
      `/api/conversations/${group.id}/messages?after=0`,
      { token: cat.token },
    );
    const changes = history.body.messages.filter((m) => m.system?.type === 'avatar_changed');
    expect(changes.map((m) => m.senderId)).toEqual([ann.id, bob.id, bob.id]);
  });

  it('members and outsiders may not; non-images, others’ uploads and mixed patches are refused', async () => {
    const { ann, bob, eve } = await people(cluster, 'ann', 'bob', 'eve');
    const group = await createGroup(cluster, ann, [bob]);
    const bobPhoto = await upload(bob, png(), 'bob.png');
    const evePhoto = await upload(eve, png(), 'eve.png');
    const annPdf = await upload(ann, pdf(), 'doc.pdf');
    const annPhoto = await upload(ann, png(), 'ann.png');

    const member = await patchGroup(0, bob, group.id, { avatarAttachmentId: bobPhoto.id });
    expect(member.status).toBe(403);
    expect(member.body.error?.code).toBe('FORBIDDEN');
    const memberClear = await patchGroup(1, bob, group.id, { avatarUrl: null });
    expect(memberClear.body.error?.code).toBe('FORBIDDEN');
    const outsider = await patchGroup(1, eve, group.id, { avatarAttachmentId: evePhoto.id });
    expect(outsider.status).toBe(404);
    expect(outsider.body.error?.code).toBe('NOT_FOUND');

    // The owner with someone else's upload: as unknown as a missing one.
    const foreign = await patchGroup(0, ann, group.id, { avatarAttachmentId: bobPhoto.id });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error?.code).toBe('NOT_FOUND');
    const notImage = await patchGroup(0, ann, group.id, { avatarAttachmentId: annPdf.id });
    expect(notImage.status).toBe(415);
    expect(notImage.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const both = await patchGroup(0, ann, group.id, {
      avatarAttachmentId: annPhoto.id,
      avatarUrl: null,
    });
    expect(both.status).toBe(400);
    expect(both.body.error?.code).toBe('VALIDATION_FAILED');
    expect((await patchGroup(0, ann, group.id, { avatarAttachmentId: 'nope' })).status).toBe(400);
    // The v1 string form cannot point /avatars at an upload that skipped those checks.
    const literal = await patchGroup(0, ann, group.id, { avatarUrl: `/avatars/${bobPhoto.id}` });
    expect(literal.status).toBe(400);
    expect(literal.body.error?.code).toBe('VALIDATION_FAILED');

    // Nothing of that changed the group or made an upload public.
    const view = await cluster.http<Conversation>(0, 'GET', `/api/conversations/${group.id}`, {
      token: ann.token,
    });
    expect(view.body.avatarUrl).toBeUndefined();
    for (const att of [bobPhoto, evePhoto, annPdf, annPhoto])
      expect(await served(att.id)).toBe(404);

    // A direct conversation has no photo to set.
    const dm = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: ann.token,
      body: { userId: bob.id },
    });
    const direct = await patchGroup(0, ann, dm.body.id, { avatarAttachmentId: annPhoto.id });
    expect(direct.body.error?.code).toBe('FORBIDDEN');

    // A closed group's photo is not served any more.
    expect((await patchGroup(0, ann, group.id, { avatarAttachmentId: annPhoto.id })).status).toBe(
      200,
    );
    expect(await served(annPhoto.id)).toBe(200);
    expect(
      (await cluster.http(0, 'DELETE', `/api/conversations/${group.id}`, { token: ann.token }))
        .status,
    ).toBe(204);
    expect(await served(annPhoto.id)).toBe(404);
  });
});
