import { AppError, statusOf, toErrorBody, type Logger } from '@chat/core';
import type { FastifyError, FastifyInstance } from 'fastify';
import { toAppError } from '../errors/to-app-error.js';

/** fastify's own client errors (recognised by their code and status) mapped onto protocol codes. */
function fromFastify(err: FastifyError): AppError | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413)
    return AppError.payloadTooLarge();
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) {
    return AppError.unsupportedMediaType('Unsupported Content-Type');
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // Malformed JSON, empty body with a JSON content type, bad multipart framing…
    return AppError.validation({ fields: [{ path: '/', message: err.message }] });
  }
  return undefined;
}

/** An AppError (also one a validator compiler or hook threw), an outage, or fastify's own error. */
function httpAppError(err: unknown): AppError | undefined {
  const known = toAppError(err);
  if (known) return known;
  if (err instanceof Error && 'code' in err) return fromFastify(err as FastifyError);
  return undefined;
}

/** The one HTTP error handler (STYLE.md): `{ error: { code, message, details? } }`. */
export function installErrorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err, request, reply) => {
    const appError = httpAppError(err);
    const body = toErrorBody(appError ?? err);
    if (body.code === 'INTERNAL')
      logger.error({ err, reqId: request.id, url: request.url }, 'request failed');
    // Outages are logged once per state change by the dependency monitor, not per request.
    else if (body.code === 'UNAVAILABLE')
      logger.debug({ err, reqId: request.id }, 'dependency unavailable');
    const retryAfterMs = body.details?.retryAfterMs;
    if (body.code === 'RATE_LIMITED' && typeof retryAfterMs === 'number') {
      void reply.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    void reply.status(statusOf(appError ?? err)).send({ error: body });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url.split('?')[0]}`,
      },
    });
  });
}
