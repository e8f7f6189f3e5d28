import { FileUploadPayload, LIMITS } from '@chat/protocol';
import { Readable } from 'node:stream';
import type { UploadsService } from '../../domain/uploads.service.js';
import { defineHandler } from '../define-handler.js';

/** file:upload — small files over the socket, through the same checks and storage as POST /api/uploads. */
export function uploadHandlers(uploads: UploadsService) {
  return [
    defineHandler('file:upload', FileUploadPayload, async ({ name, data }, { userId }) => {
      const attachment = await uploads.upload(userId, {
        name,
        source: Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
        maxBytes: LIMITS.socketFrameMaxBytes,
      });
      return { attachment };
    }),
  ];
}
