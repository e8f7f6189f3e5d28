import { AppError } from '@chat/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServableFile, UploadsService } from '../../domain/uploads.service.js';

interface FileParams {
  id: string;
  name: string;
}
interface FileQuery {
  exp?: unknown;
  sig?: unknown;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`: one range; anything else (incl. multi-range) → whole file. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** RFC 6266 filename plus an ASCII fallback for old clients. */
function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function setSafeHeaders(reply: FastifyReply, file: ServableFile): void {
  const media = file.kind !== 'file';
  void reply
    .header('X-Content-Type-Options', 'nosniff')
    // Even if a browser renders it, the document can run nothing and reach nothing.
    .header('Content-Security-Policy', "default-src 'none'; sandbox")
    .header('Content-Disposition', contentDisposition(media ? 'inline' : 'attachment', file.name))
    .header('Content-Type', file.mime === 'text/plain' ? 'text/plain; charset=utf-8' : file.mime)
    .header('Cache-Control', 'private, max-age=300')
    .header('Accept-Ranges', media ? 'bytes' : 'none');
}

/**
 * GET /files/:id/:name?exp=&sig= — no bearer token (links are used in <img>/<video>),
 * only a valid, unexpired HMAC signature. Served by hand rather than @fastify/static so
 * nothing about the response depends on a file name (no dotfiles, no .html/.svg types).
 */
export function filesRoutes(uploads: UploadsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: FileParams; Querystring: FileQuery }>(
      '/files/:id/:name',
      async (request, reply) => {
        const { exp, sig } = request.query;
        const file = await uploads.resolve({
          id: request.params.id,
          name: request.params.name,
          exp: typeof exp === 'string' ? exp : '',
          sig: typeof sig === 'string' ? sig : '',
        });
        const onDisk = await stat(file.path).catch(() => undefined);
        if (!onDisk?.isFile()) throw AppError.notFound('File not found');
        const size = onDisk.size;
        setSafeHeaders(reply, file);
        const range = file.kind === 'file' ? undefined : parseRange(request.headers.range, size);
        if (range === 'unsatisfiable') {
          return reply.status(416).header('Content-Range', `bytes */${size}`).send();
        }
        if (range) {
          void reply
            .status(206)
            .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
            .header('Content-Length', String(range.end - range.start + 1));
          return reply.send(createReadStream(file.path, { start: range.start, end: range.end }));
        }
        void reply.header('Content-Length', String(size));
        return reply.send(createReadStream(file.path));
      },
    );
  };
}
