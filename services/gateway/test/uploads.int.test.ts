import type { Attachment, Message } from '@chat/protocol';
import { waitForEvent } from '@chat/testkit';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { createFileSigner } from '../src/files/file-signer.js';
import { people } from './fixtures/api.js';
import { openDirect, ack, useTestCluster, type TestUser } from './fixtures/cluster.js';
import { html, jpeg, pdf, png, svgWithScript } from './fixtures/files.js';

/** Small enough that an "oversized" upload is cheap to send. */
const MAX_BYTES = 64 * 1024;

const cluster = useTestCluster({ nodes: 2, env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } });

const uploadDir = () => cluster.env.UPLOAD_DIR ?? '';
const filesOnDisk = async () => (await readdir(uploadDir())).sort();

interface UploadResult {
  status: number;
  body: { attachment: Attachment; error?: { code: string } } & { error?: { code: string } };
}

async function upload(
  node: number,
  token: string | undefined,
  bytes: Buffer,
  fileName: string,
  declaredType = 'image/png',
): Promise<UploadResult> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: declaredType }), fileName);
  const res = await fetch(`${cluster.nodes[node]?.url}/api/uploads`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  return { status: res.status, body: (await res.json()) as UploadResult['body'] };
}

const fetchFile = (node: number, url: string, headers: Record<string, string> = {}) =>
  fetch(`${cluster.nodes[node]?.url}${url}`, { headers });

const direct = (a: TestUser, b: TestUser) => openDirect(cluster, a, b);

describe('uploads', () => {
  it('accepts PNG, JPEG and PDF judged from their bytes, with kind, size and a signed URL', async () => {
    const { alice } = await people(cluster, 'alice');
    const cases = [
      { bytes: png(), file: 'dot.png', mime: 'image/png', kind: 'image', disposition: 'inline' },
      {
        bytes: jpeg(),
        file: 'photo.jpeg',
        mime: 'image/jpeg',
        kind: 'image',
        disposition: 'inline',
      },
      {
        bytes: pdf(),
        file: 'report.pdf',
        mime: 'application/pdf',
        kind: 'file',
        disposition: 'attachment',
      },
    ];
    for (const c of cases) {
      // The declared type is a lie on purpose: only the bytes count.
      const res = await upload(0, alice.token, c.bytes, c.file, 'application/octet-stream');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const a = res.body.attachment;
      expect(a).toMatchObject({ name: c.file, size: c.bytes.length, mime: c.mime, kind: c.kind });
      expect(a.url).toMatch(
        new RegExp(
          `^/files/${a.id}/${c.file.replace('.', '\\.')}\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`,
        ),
      );

      // Served by the other node (shared storage) with the safe headers.
      const file = await fetchFile(1, a.url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(c.mime);
      expect(file.headers.get('content-length')).toBe(String(c.bytes.length));
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.headers.get('content-disposition')).toMatch(
        new RegExp(`^${c.disposition}; filename="${c.file}"`),
      );
      expect(Buffer.from(await file.arrayBuffer())).toEqual(c.bytes);
    }
  });

  it('refuses HTML and SVG-with-script renamed to .png with 415 and keeps nothing', async () => {
    const { alice } = await people(cluster, 'alice');
    const before = await filesOnDisk();
    for (const [bytes, file] of [
      [html(), 'cute-cat.png'],
      [svgWithScript(), 'logo.png'],
    ] as const) {
      const res = await upload(1, alice.token, bytes, file, 'image/png');
      expect(res.status).toBe(415);
      expect(res.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await filesOnDisk()).toEqual(before);
  });

  it('answers 413 to an upload over the limit and leaves no partial file', async () => {
    const { alice } = await people(cluster, 'alice');
    const before = await filesOnDisk();
    // A real PNG header followed by far more than the limit.
    const big = Buffer.concat([png(), Buffer.alloc(MAX_BYTES * 4, 7)]);
    const res = await upload(0, alice.token, big, 'big.png');
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await filesOnDisk()).toEqual(before);

    // Exactly at the limit is fine.
    const exact = Buffer.concat([png(), Buffer.alloc(MAX_BYTES - png().length, 0)]);
    const ok = await upload(0, alice.token, exact, 'exact.png');
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.attachment.size).toBe(MAX_BYTES);
  });

  it('stores files under random names whatever the client calls them', async () => {
    const { alice } = await people(cluster, 'alice');
    const before = new Set(await filesOnDisk());
    const hostile = [
      '../../etc/passwd',
      '..\\..\\windows\\win.ini',
      '.htaccess',
      'a\u0000b\u202e.png',
      '/abs/path/x.png',
    ];
    const stored: string[] = [];
    for (const file of hostile) {
      const res = await upload(0, alice.token, png(), file);
      expect(res.status, `${JSON.stringify(file)}: ${JSON.stringify(res.body)}`).toBe(201);
      const shown = res.body.attachment.name;
      stored.push(shown);
      for (const bad of ['/', '\\', '\u0000', '\u202e']) expect(shown).not.toContain(bad);
      expect(shown.startsWith('.')).toBe(false);
      expect(shown.endsWith('.png')).toBe(true);
      expect((await fetchFile(1, res.body.attachment.url)).status).toBe(200);
    }
    expect(stored.slice(0, 3)).toEqual(['passwd.png', 'win.ini.png', 'htaccess.png']);
    const added = (await filesOnDisk()).filter((f) => !before.has(f));
    expect(added).toHaveLength(hostile.length);
    for (const f of added) expect(f).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses anonymous uploads with 401', async () => {
    const res = await upload(0, undefined, png(), 'x.png');
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a request that is not multipart or has no "file" field', async () => {
    const { alice } = await people(cluster, 'alice');
    const json = await cluster.http(0, 'POST', '/api/uploads', {
      token: alice.token,
      body: { file: 'x' },
    });
    expect(json.status).toBe(400);
    const form = new FormData();
    form.append('other', new Blob([new Uint8Array(png())]), 'x.png');
    const res = await fetch(`${cluster.nodes[0]?.url}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}` },
      body: form,
    });
    expect(res.status).toBe(400);
  });
});

describe('signed file URLs', () => {
  it('answers 403 to forged, tampered, missing and expired signatures', async () => {
    const { alice } = await people(cluster, 'alice');
    const { attachment } = (await upload(0, alice.token, png(), 'a.png')).body;
    const url = new URL(attachment.url, 'http://x');
    const exp = url.searchParams.get('exp') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const bad = [
      `/files/${attachment.id}/a.png?exp=${exp}&sig=${flipped}`,
      `/files/${attachment.id}/a.png?exp=${Number(exp) + 60}&sig=${sig}`,
      `/files/${attachment.id}/b.png?exp=${exp}&sig=${sig}`,
      `/files/${attachment.id}/a.png?exp=${exp}`,
      `/files/${attachment.id}/a.png`,
      `/files/${attachment.id}/a.png?exp=${exp}&sig=${sig}x`,
    ];
    for (const u of bad) {
      const res = await fetchFile(0, u);
      expect(res.status, u).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }

    // Correctly signed with the cluster's key, but already expired.
    const config = loadGatewayConfig(cluster.env);
    const past = createFileSigner({
      secret: config.uploads.signingSecret,
      ttlMs: 10_000,
      now: () => Date.now() - 3_600_000,
    });
    const expired = past.url(attachment.id, attachment.name);
    expect((await fetchFile(0, expired)).status).toBe(403);
    // …and the same signer with the current time works: the key is right.
    const fresh = createFileSigner({ secret: config.uploads.signingSecret, ttlMs: 60_000 });
    expect((await fetchFile(0, fresh.url(attachment.id, attachment.name))).status).toBe(200);
  });

  it('serves byte ranges of media (206, 416)', async () => {
    const { alice } = await people(cluster, 'alice');
    const bytes = png(40, 40, [1, 2, 3]);
    const { attachment } = (await upload(0, alice.token, bytes, 'r.png')).body;

    const part = await fetchFile(1, attachment.url, { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`);
    expect(part.headers.get('content-length')).toBe('10');
    expect(part.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));

    const suffix = await fetchFile(1, attachment.url, { range: 'bytes=-8' });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 8));

    const head = await fetch(`${cluster.nodes[0]?.url}${attachment.url}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.headers.get('content-type')).toBe('image/png');
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const beyond = await fetchFile(1, attachment.url, { range: `bytes=${bytes.length + 5}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });
});

describe('attachments in messages', () => {
  it('lets the recipient on another node fetch an attachment of a message they received, with fresh URLs in history', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const conv = await direct(alice, bob);
    const aliceSocket = await cluster.connect(alice, 0);
    const bobSocket = await cluster.connect(bob, 1);
    const uploaded = (await upload(0, alice.token, pdf(), 'minutes.pdf', 'application/pdf')).body
      .attachment;

    const incoming = waitForEvent<{ message: Message }>(bobSocket, 'message:new');
    const sent = await ack<{ message: Message }>(aliceSocket, 'message:send', {
      conversationId: conv.id,
      clientMsgId: 'with-file',
      attachmentIds: [uploaded.id],
    });
    expect(sent.ok, JSON.stringify(sent.error)).toBe(true);
    const received = (await incoming).message;
    expect(received.attachments).toHaveLength(1);
    const [att] = received.attachments;
    expect(att).toMatchObject({
      id: uploaded.id,
      name: 'minutes.pdf',
      mime: 'application/pdf',
      kind: 'file',
    });

    const file = await fetchFile(1, att?.url ?? '');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(pdf());

    const history = await cluster.http<{ messages: Message[] }>(
      1,
      'GET',
      `/api/conversations/${conv.id}/messages`,
      {
        token: bob.token,
      },
    );
    const url = history.body.messages[0]?.attachments[0]?.url ?? '';
    expect(url).toMatch(/sig=/);
    expect((await fetchFile(0, url)).status).toBe(200);
  });

  it("refuses someone else's attachment id with NOT_FOUND", async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const conv = await direct(alice, bob);
    const uploaded = (await upload(0, alice.token, png(), 'mine.png')).body.attachment;
    const bobSocket = await cluster.connect(bob, 1);
    const res = await ack(bobSocket, 'message:send', {
      conversationId: conv.id,
      clientMsgId: 'steal',
      attachmentIds: [uploaded.id],
    });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('NOT_FOUND');
  });

  it('accepts small files over the socket with the same checks (file:upload)', async () => {
    const { alice } = await people(cluster, 'alice');
    const socket = await cluster.connect(alice, 1);
    const before = await filesOnDisk();

    const ok = await ack<{ attachment: Attachment }>(socket, 'file:upload', {
      name: '../x/pic.jpg',
      data: jpeg(),
    });
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    expect(ok.attachment).toMatchObject({
      name: 'pic.jpg',
      mime: 'image/jpeg',
      kind: 'image',
      size: jpeg().length,
    });
    const file = await fetchFile(0, ok.attachment.url);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(jpeg());

    const refused = await ack(socket, 'file:upload', { name: 'page.png', data: html() });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // Over UPLOAD_MAX_BYTES (but under the socket frame limit).
    const tooBig = await ack(socket, 'file:upload', {
      name: 'big.png',
      data: Buffer.concat([png(), Buffer.alloc(MAX_BYTES)]),
    });
    expect(tooBig.ok).toBe(false);
    expect(tooBig.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await filesOnDisk()).toHaveLength(before.length + 1);
  });
});
