import multipart from '@fastify/multipart';
import { AppError } from '@chat/core';
import type { FastifyInstance } from 'fastify';
import type { UploadsService } from '../../domain/uploads.service.js';
import { userIdOf } from '../authenticate.js';

const notMultipart = () =>
  AppError.validation({
    fields: [{ path: '/file', message: 'Send multipart/form-data with one file field "file"' }],
  });

/** POST /api/uploads (inside the authenticated /api scope, so anonymous uploads are 401 before any byte is read). */
export function uploadsRoutes(uploads: UploadsService, options: { maxBytes: number }) {
  return async (app: FastifyInstance): Promise<void> => {
    // Registered here so only this route accepts multipart bodies. busboy stops passing
    // bytes one past the limit; the storage's own counter turns that into 413.
    await app.register(multipart, {
      limits: {
        fileSize: options.maxBytes + 1,
        files: 1,
        fields: 10,
        parts: 11,
        headerPairs: 50,
        fieldSize: 1024,
      },
    });
    app.post('/api/uploads', async (request, reply) => {
      if (!request.isMultipart()) throw notMultipart();
      const part = await request.file();
      if (!part || part.fieldname !== 'file') {
        part?.file.resume();
        throw notMultipart();
      }
      try {
        const attachment = await uploads.upload(userIdOf(request), {
          name: part.filename,
          source: part.file,
        });
        return await reply.status(201).send({ attachment });
      } catch (err) {
        // The client may still be sending the rest of an oversized body: answer and close
        // instead of reading (or buffering) bytes we will never keep.
        if (err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE')
          void reply.header('connection', 'close');
        throw err;
      }
    });
  };
}
