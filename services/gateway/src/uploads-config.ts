import type { EnvReader } from '@chat/core';
import { LIMITS } from '@chat/protocol';
import { hkdfSync } from 'node:crypto';
import { resolve } from 'node:path';

export interface UploadsConfig {
  /** Where uploaded bytes live; shared by every node (a volume in compose). @default ./.run/uploads */
  dir: string;
  /** @default 25 MiB */
  maxBytes: number;
  /** MIME types (as detected from the bytes) that may be uploaded. */
  allowedTypes: string[];
  /** Lifetime of a signed file URL. @default 1 h */
  urlTtlMs: number;
  /** HMAC key for file URLs: FILES_SIGNING_SECRET, else derived from JWT_SECRET. */
  signingSecret: Buffer;
}

/** Judged from the bytes by file-type; `text/plain` (which cannot be sniffed) is opt-in. */
export const DEFAULT_UPLOAD_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'video/mp4',
  'video/webm',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'application/pdf',
  'application/zip',
  // Office documents, judged from their bytes like the rest and always served as
  // downloads (`Content-Disposition: attachment`, nosniff). doc/xls/ppt are OLE compound files,
  // which file-type reports only as application/x-cfb.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/x-cfb',
];

/** Types a browser would run as a document or script from our origin: never served. */
const NEVER_ALLOWED = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'text/xml',
  'application/xml',
  'text/javascript',
  'application/javascript',
  'application/x-shockwave-flash',
]);

/** Without FILES_SIGNING_SECRET the key is derived from JWT_SECRET under its own HKDF label, so it differs from it. */
export function readUploadsConfig(r: EnvReader, jwtSecret: string): UploadsConfig {
  const allowedTypes = r
    .list('UPLOAD_ALLOWED_TYPES', { default: DEFAULT_UPLOAD_TYPES })
    .map((t) => t.trim().toLowerCase());
  const unsafe = allowedTypes.filter(
    (t) => NEVER_ALLOWED.has(t) || !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t),
  );
  if (unsafe.length > 0)
    r.problem('UPLOAD_ALLOWED_TYPES', `not allowed or not a MIME type: ${unsafe.join(', ')}`);
  const explicitSecret = r.str('FILES_SIGNING_SECRET', { optional: true });
  if (explicitSecret !== undefined && explicitSecret.length < 32) {
    r.problem('FILES_SIGNING_SECRET', 'must be at least 32 characters');
  }
  return {
    dir: resolve(r.str('UPLOAD_DIR', { default: '.run/uploads' })),
    maxBytes: r.int('UPLOAD_MAX_BYTES', {
      default: LIMITS.uploadMaxBytesDefault,
      min: 1,
      max: 10 * 1024 ** 3,
    }),
    allowedTypes,
    urlTtlMs: r.duration('FILES_URL_TTL', { default: 3_600_000, min: 10_000, max: 7 * 86_400_000 }),
    signingSecret:
      explicitSecret !== undefined
        ? Buffer.from(explicitSecret, 'utf8')
        : Buffer.from(hkdfSync('sha256', jwtSecret, 'chat-cluster', 'files-url-signing-v1', 32)),
  };
}
