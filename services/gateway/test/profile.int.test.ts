/** Profile (docs/PROTOCOL.md#section-7): display name and avatar, live to contacts, avatars served publicly. */
import type { Conversation, User } from '@chat/protocol';
import { waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { useTestCluster, uploadAs } from './fixtures/cluster.js';
import { pdf, png } from './fixtures/files.js';

const cluster = useTestCluster({ nodes: 2 });

const upload = (token: string, bytes: Buffer, name: string) =>
  uploadAs(cluster, token, bytes, name);

const patchMe = (token: string, body: unknown, node = 0) =>
  cluster.http<User & { error?: { code: string } }>(node, 'PATCH', '/api/users/me', {
    token,
    body,
  });

describe('profile', () => {
  it('changes the display name and the avatar; contacts on another node hear of it', async () => {
    const [alice, bob] = await Promise.all(['pr_alice', 'pr_bob'].map((n) => cluster.register(n)));
    const dm = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    const bobSocket = await cluster.connect(bob!, 1);

    const renamed = waitForEvent<{ user: User }>(bobSocket, 'user:updated', { timeout: 5000 });
    const res = await patchMe(alice!.token, { displayName: '  Alice Liddell ' });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('Alice Liddell');
    expect((await renamed).user).toMatchObject({ id: alice!.id, displayName: 'Alice Liddell' });

    const photo = await upload(alice!.token, png(64, 64, [0, 128, 255]), 'me.png');
    const pictured = waitForEvent<{ user: User }>(bobSocket, 'user:updated', { timeout: 5000 });
    const withAvatar = await patchMe(alice!.token, { avatarAttachmentId: photo.id }, 1);
    expect(withAvatar.body.avatarUrl).toBe(`/avatars/${photo.id}`);
    expect((await pictured).user.avatarUrl).toBe(`/avatars/${photo.id}`);
    // Public (an <img> sends no token), with the defensive headers of /files.
    const img = await fetch(`${cluster.nodes[1]!.url}/avatars/${photo.id}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await img.arrayBuffer())).toEqual(png(64, 64, [0, 128, 255]));
    // Bob's view of the conversation carries it.
    const seen = await cluster.http<Conversation>(1, 'GET', `/api/conversations/${dm.body.id}`, {
      token: bob!.token,
    });
    expect(seen.body.members.find((m) => m.userId === alice!.id)?.user).toMatchObject({
      displayName: 'Alice Liddell',
      avatarUrl: `/avatars/${photo.id}`,
    });

    // Removed: gone from the profile and no longer served.
    const removed = await patchMe(alice!.token, { avatarUrl: null });
    expect(removed.body.avatarUrl).toBeUndefined();
    expect((await fetch(`${cluster.nodes[0]!.url}/avatars/${photo.id}`)).status).toBe(404);
  });

  it('refuses someone else’s upload, non-images, and malformed patches', async () => {
    const [carol, dave] = await Promise.all(
      ['pr_carol', 'pr_dave'].map((n) => cluster.register(n)),
    );
    const carolPhoto = await upload(carol!.token, png(), 'c.png');
    expect((await patchMe(dave!.token, { avatarAttachmentId: carolPhoto.id })).status).toBe(404);
    const doc = await upload(dave!.token, pdf(), 'cv.pdf');
    expect((await patchMe(dave!.token, { avatarAttachmentId: doc.id })).status).toBe(415);
    expect(
      (await patchMe(dave!.token, { avatarAttachmentId: carolPhoto.id, avatarUrl: null })).status,
    ).toBe(400);
    expect((await patchMe(dave!.token, {})).status).toBe(400);
    expect((await patchMe(dave!.token, { displayName: '   ' })).status).toBe(400);
    expect((await patchMe(dave!.token, { avatarUrl: 'https://evil.example/x.png' })).status).toBe(
      400,
    );
    expect((await patchMe(dave!.token, { username: 'root' })).status).toBe(400);
    // An upload that is nobody's avatar is not served at /avatars.
    expect((await fetch(`${cluster.nodes[0]!.url}/avatars/${carolPhoto.id}`)).status).toBe(404);
    expect((await fetch(`${cluster.nodes[0]!.url}/avatars/nope`)).status).toBe(400);
  });
});
