import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * fastify answers a URL it cannot decode (`%FF`, `%ED%A0%80`) or an over-long path
 * parameter before any hook or error handler runs, with its own body that echoes the path.
 * This gives those the protocol's coded error instead (fastify's `frameworkErrors` option).
 */
export function frameworkErrors(nodeId: string) {
  return (
    error: Error & { code?: string },
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void => {
    const message =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'Malformed URL';
    void reply
      .status(400)
      .header('X-Node-Id', nodeId)
      .send({
        error: {
          code: 'VALIDATION_FAILED',
          message,
          details: { fields: [{ path: '/url', message }] },
        },
      });
  };
}
