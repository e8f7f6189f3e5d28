import { AppError } from '@chat/core';
import { createValidator } from '@chat/protocol';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * docs/DESIGN.md#decision-1: HTTP bodies go through the same compiled TypeBox validator as socket
 * payloads (unknown fields rejected, `$` keys and prototype keys refused, oversize text
 * → PAYLOAD_TOO_LARGE), instead of fastify's ajv defaults, which silently strip unknown
 * fields. Query strings and params arrive as strings and are converted first.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validate = createValidator(schema);
  const convert = httpPart === 'querystring' || httpPart === 'params';
  return (data: unknown) => {
    const input =
      convert && data && typeof data === 'object' ? Value.Convert(schema, { ...data }) : data;
    const result = validate(input);
    return result.ok ? { value: result.value } : { error: AppError.fromValidation(result) };
  };
};
