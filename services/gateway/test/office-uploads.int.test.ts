/**
 * Office documents and zip archives are allowed by default: judged from their bytes,
 * always served as downloads.
 */
import type { Attachment } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from './fixtures/cluster.js';
import { html } from './fixtures/files.js';
import { docx, legacyDoc, odt, plainZip, storedZip, xlsx } from './fixtures/office.js';

const cluster = useTestCluster({ nodes: 1 });

async function upload(token: string, bytes: Buffer, fileName: string, declared: string) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: declared }), fileName);
  const res = await fetch(`${cluster.nodes[0]!.url}/api/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as { attachment: Attachment } };
}

describe('office documents and zip archives', () => {
  it.each([
    [
      'report.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      docx,
    ],
    ['budget.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', xlsx],
    ['letter.odt', 'application/vnd.oasis.opendocument.text', odt],
    ['old.doc', 'application/x-cfb', legacyDoc],
    ['bundle.zip', 'application/zip', plainZip],
  ] as const)('%s is accepted as %s and served as a download', async (fileName, mime, make) => {
    const user = await cluster.register(`of_${fileName.replace(/\W/g, '')}`);
    const res = await upload(user.token, make(), fileName, 'application/octet-stream');
    expect(res.status).toBe(201);
    expect(res.body.attachment).toMatchObject({ name: fileName, mime, kind: 'file' });
    const file = await fetch(`${cluster.nodes[0]!.url}${res.body.attachment.url}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(make());
  });

  it('judges by the bytes: HTML named .docx is refused; a zip named .docx stays a zip', async () => {
    const user = await cluster.register('of_liar');
    const fake = await upload(user.token, html(), 'trap.docx', 'application/msword');
    expect(fake.status).toBe(415);
    const zip = await upload(
      user.token,
      storedZip([{ name: 'a.txt', data: 'x' }]),
      'x.docx',
      'application/msword',
    );
    expect(zip.status).toBe(201);
    expect(zip.body.attachment).toMatchObject({ mime: 'application/zip', name: 'x.docx.zip' });
  });
});
