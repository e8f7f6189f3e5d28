import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../http/routes/files.route.js';
import { readUploadsConfig } from '../uploads-config.js';
import { createEnvReader } from '@chat/core';
import { safeDisplayName, withDetectedExtension } from './file-names.js';
import { createFileSigner } from './file-signer.js';
import { createFileStorage, FileTooLargeError } from './file-storage.js';
import { sniffFile } from './sniff.js';

const secret = Buffer.alloc(32, 1);
const ID = 'a'.repeat(24);

describe('file signer', () => {
  it('signs id|name|exp and accepts only the exact, unexpired link', () => {
    let now = 1_700_000_000_000;
    const signer = createFileSigner({ secret, ttlMs: 3_600_000, now: () => now });
    const url = new URL(signer.url(ID, 'a b/ü.png'), 'http://x');
    expect(url.pathname).toBe(`/files/${ID}/a%20b%2F%C3%BC.png`);
    const exp = url.searchParams.get('exp') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    expect(Number(exp) * 1000).toBeGreaterThanOrEqual(now + 3_600_000);
    expect(signer.verify(ID, 'a b/ü.png', exp, sig)).toBe(true);
    expect(signer.verify(ID, 'a b/u.png', exp, sig)).toBe(false);
    expect(signer.verify('b'.repeat(24), 'a b/ü.png', exp, sig)).toBe(false);
    expect(signer.verify(ID, 'a b/ü.png', String(Number(exp) + 1), sig)).toBe(false);
    expect(signer.verify(ID, 'a b/ü.png', exp, sig.slice(1))).toBe(false);
    expect(
      createFileSigner({ secret: Buffer.alloc(32, 2), ttlMs: 1000, now: () => now }).verify(
        ID,
        'a b/ü.png',
        exp,
        sig,
      ),
    ).toBe(false);
    now = Number(exp) * 1000;
    expect(signer.verify(ID, 'a b/ü.png', exp, sig)).toBe(false);
  });
});

describe('file names', () => {
  it('keeps only a harmless last segment for display', () => {
    expect(safeDisplayName('../../etc/passwd')).toBe('passwd');
    expect(safeDisplayName('C:\\Users\\x\\evil.exe')).toBe('evil.exe');
    expect(safeDisplayName('...hidden')).toBe('hidden');
    expect(safeDisplayName('a\u0000b\u202egnp.exe')).toBe('abgnp.exe');
    expect(safeDisplayName('')).toBe('file');
    expect(safeDisplayName(undefined)).toBe('file');
    expect(safeDisplayName('x'.repeat(1000)).length).toBeLessThanOrEqual(255);
  });

  it('appends the detected extension unless the name already says it', () => {
    expect(withDetectedExtension('photo.jpeg', 'jpg')).toBe('photo.jpeg');
    expect(withDetectedExtension('photo.JPG', 'jpg')).toBe('photo.JPG');
    expect(withDetectedExtension('page.html', 'png')).toBe('page.html.png');
    expect(withDetectedExtension('noext', 'pdf')).toBe('noext.pdf');
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=50-5000', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=9-3', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ] as const)('%s of %i', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('storage and sniffing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'files-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams to a random name and removes the partial file past the limit', async () => {
    const storage = createFileStorage({ dir: join(dir, 'store') });
    const ok = await storage.write(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 20);
    expect(ok.size).toBe(20);
    expect(ok.key).toMatch(/^[0-9a-f]{32}$/);
    await expect(
      storage.write(Readable.from([Buffer.alloc(15), Buffer.alloc(15)]), 20),
    ).rejects.toBeInstanceOf(FileTooLargeError);
    expect(await readdir(join(dir, 'store'))).toEqual([ok.key]);
    expect(() => storage.pathOf('../etc/passwd')).toThrow();
  });

  it('treats undetectable bytes as text only when allowed, and never markup', async () => {
    const write = async (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    };
    const text = await write('t', 'hello\nworld ü');
    expect(await sniffFile(text, false)).toBeUndefined();
    expect(await sniffFile(text, true)).toEqual({ mime: 'text/plain', ext: 'txt' });
    expect(await sniffFile(await write('h', '  <html><script>x</script>'), true)).toBeUndefined();
    expect(await sniffFile(await write('b', Buffer.from([0x41, 0, 0x42])), true)).toBeUndefined();
    expect(await sniffFile(await write('l', Buffer.from([0xc3, 0x28])), true)).toBeUndefined();
    expect(await sniffFile(await write('p', '%PDF-1.4\n%%EOF\n'), false)).toEqual({
      mime: 'application/pdf',
      ext: 'pdf',
    });
  });
});

describe('uploads config', () => {
  it('derives a signing key distinct from JWT_SECRET and refuses script-capable types', () => {
    const r = createEnvReader({});
    const config = readUploadsConfig(r, 'j'.repeat(40));
    expect(config.signingSecret).toHaveLength(32);
    expect(config.signingSecret.toString('utf8')).not.toContain('j'.repeat(32));
    expect(config.maxBytes).toBe(25 * 1024 * 1024);
    expect(config.allowedTypes).toContain('image/png');

    const bad = createEnvReader({
      UPLOAD_ALLOWED_TYPES: 'image/png,image/svg+xml,text/html',
      FILES_SIGNING_SECRET: 'short',
    });
    readUploadsConfig(bad, 'j'.repeat(40));
    expect(() => bad.done()).toThrow(
      /UPLOAD_ALLOWED_TYPES[\s\S]*FILES_SIGNING_SECRET|FILES_SIGNING_SECRET[\s\S]*UPLOAD_ALLOWED_TYPES/,
    );
  });
});
