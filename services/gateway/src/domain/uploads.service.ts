import { AppError } from '@chat/core';
import { isObjectIdString, type Attachment } from '@chat/protocol';
import { ObjectId, type AttachmentDoc, type AttachmentKind, type MongoStore } from '@chat/store';
import type { Readable } from 'node:stream';
import { safeDisplayName, withDetectedExtension } from '../files/file-names.js';
import type { FileSigner } from '../files/file-signer.js';
import { FileTooLargeError, type FileStorage } from '../files/file-storage.js';
import { sniffFile } from '../files/sniff.js';
import { hex, oid } from './ids.js';

export interface UploadsServiceOptions {
  store: MongoStore;
  storage: FileStorage;
  signer: FileSigner;
  maxBytes: number;
  /** MIME types as detected from the bytes (parameters such as `; codecs=` are ignored). */
  allowedTypes: readonly string[];
}

export interface UploadInput {
  /** The client's file name: shown to users, never used on disk. */
  name: string | undefined;
  source: Readable;
  /** A tighter limit for this upload (the socket path's frame size). */
  maxBytes?: number;
}

export interface SignedFileRequest {
  id: string;
  name: string;
  exp: string;
  sig: string;
}

export interface ServableFile {
  path: string;
  size: number;
  mime: string;
  kind: AttachmentKind;
  name: string;
}

export type UploadsService = ReturnType<typeof createUploadsService>;

export function kindOf(mime: string): AttachmentKind {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  return 'file';
}

const baseType = (mime: string): string => mime.split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Uploads (docs/PROTOCOL.md#section-2 Uploads): bytes streamed to storage under a random name, the type
 * judged from the bytes against the allow-list, then an attachment record owned by the
 * uploader. Shared by POST /api/uploads and the `file:upload` socket event.
 */
export function createUploadsService(options: UploadsServiceOptions) {
  const { store, storage, signer } = options;
  const allowed = new Set(options.allowedTypes.map(baseType));

  function toDto(doc: AttachmentDoc): Attachment {
    const id = hex(doc._id);
    return {
      id,
      name: doc.name,
      size: doc.size,
      mime: doc.mime,
      kind: doc.kind,
      url: signer.url(id, doc.name),
    };
  }

  return {
    toDto,
    /** For messages.service: a fresh signed URL each time a message is served. */
    urlOf: (doc: AttachmentDoc): string => signer.url(hex(doc._id), doc.name),

    async upload(uploaderHex: string, input: UploadInput): Promise<Attachment> {
      const uploaderId = oid(uploaderHex);
      const maxBytes = Math.min(options.maxBytes, input.maxBytes ?? Number.MAX_SAFE_INTEGER);
      const displayName = safeDisplayName(input.name);
      let stored;
      try {
        stored = await storage.write(input.source, maxBytes);
      } catch (err) {
        if (err instanceof FileTooLargeError) {
          throw AppError.payloadTooLarge(`Files may be at most ${maxBytes} bytes`, { maxBytes });
        }
        throw err;
      }
      try {
        if (stored.size === 0)
          throw AppError.validation({ fields: [{ path: '/file', message: 'The file is empty' }] });
        const type = await sniffFile(stored.path, allowed.has('text/plain'));
        const mime = type ? baseType(type.mime) : undefined;
        if (!type || !mime || !allowed.has(mime)) {
          throw AppError.unsupportedMediaType(
            'This file type is not allowed (judged from its content)',
          );
        }
        const doc = await store.attachments.create({
          _id: new ObjectId(),
          uploaderId,
          name: withDetectedExtension(displayName, type.ext),
          size: stored.size,
          mime,
          kind: kindOf(mime),
          storageKey: stored.key,
        });
        return toDto(doc);
      } catch (err) {
        await storage.remove(stored.key);
        throw err;
      }
    },

    /**
     * A file for GET /files/:id/:name: a bad or expired signature is FORBIDDEN (checked
     * before any lookup); a signed id that no longer exists is NOT_FOUND.
     */
    async resolve(request: SignedFileRequest): Promise<ServableFile> {
      if (
        !isObjectIdString(request.id) ||
        !signer.verify(request.id, request.name, request.exp, request.sig)
      ) {
        throw AppError.forbidden('Invalid or expired file link');
      }
      const doc = await store.attachments.findById(oid(request.id));
      if (!doc) throw AppError.notFound('File not found');
      return {
        path: storage.pathOf(doc.storageKey),
        size: doc.size,
        mime: doc.mime,
        kind: doc.kind,
        name: doc.name,
      };
    },
  };
}
