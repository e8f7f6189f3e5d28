import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { ValidationDetails, ValidationFieldError } from './errors.js';
import { ignoredKeysOf, isTooLargeSchema } from './markers.js';

export type ValidationResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** PAYLOAD_TOO_LARGE when a size-capped field (message text, upload data) is over its limit. */
      code: 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE';
      details: ValidationDetails;
    };

export type Validator<S extends TSchema> = ((value: unknown) => ValidationResult<Static<S>>) & {
  readonly schema: S;
};

/** Own keys that could pollute prototypes once a payload is merged/assigned somewhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Payloads are shallow; anything deeper is hostile (and would cost a deep recursion). */
const MAX_DEPTH = 32;
/** Enough to name every wrong field of a real payload without echoing a huge list. */
const MAX_FIELD_ERRORS = 20;

const SIZE_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.StringMaxLength,
  ValueErrorType.ArrayMaxItems,
  ValueErrorType.Uint8ArrayMaxByteLength,
]);

/**
 * Compiles `schema` once and returns a validator for untrusted input (socket payloads,
 * anything parsed from JSON). Beyond the schema it rejects: non-object payloads, keys
 * starting with `$` at any depth (they must never reach a Mongo query), and own
 * `__proto__`/`constructor`/`prototype` keys. Keys registered with `withIgnoredKeys`
 * (e.g. `senderId` on message payloads) are dropped from a shallow copy; the input is
 * never mutated. No defaults are applied and no types are coerced.
 */
export function createValidator<S extends TSchema>(schema: S): Validator<S> {
  const compiled = TypeCompiler.Compile(schema);
  const ignored = ignoredKeysOf(schema) ?? [];

  const validate = (input: unknown): ValidationResult<Static<S>> => {
    if (
      typeof input !== 'object' ||
      input === null ||
      Array.isArray(input) ||
      ArrayBuffer.isView(input)
    ) {
      return fail([{ path: '/', message: 'Expected an object payload' }]);
    }
    const unsafe = findUnsafeKeys(input, '', 0, []);
    if (unsafe.length > 0) return fail(unsafe);

    let value: unknown = input;
    if (ignored.some((k) => Object.prototype.hasOwnProperty.call(input, k))) {
      const copy: Record<string, unknown> = { ...(input as Record<string, unknown>) };
      for (const key of ignored) delete copy[key];
      value = copy;
    }

    if (compiled.Check(value)) return { ok: true, value };

    const fields: ValidationFieldError[] = [];
    let tooLarge = false;
    for (const error of compiled.Errors(value)) {
      if (isSizeError(error)) tooLarge = true;
      fields.push({ path: error.path === '' ? '/' : error.path, message: error.message });
      if (fields.length >= MAX_FIELD_ERRORS) break;
    }
    return fail(fields, tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED');
  };
  return Object.assign(validate, { schema });
}

function fail(
  fields: ValidationFieldError[],
  code: 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE' = 'VALIDATION_FAILED',
): ValidationResult<never> {
  return { ok: false, code, details: { fields } };
}

function isSizeError(error: ValueError): boolean {
  return SIZE_ERRORS.has(error.type) && isTooLargeSchema(error.schema);
}

function findUnsafeKeys(
  value: object,
  path: string,
  depth: number,
  out: ValidationFieldError[],
): ValidationFieldError[] {
  if (out.length >= MAX_FIELD_ERRORS) return out;
  if (depth > MAX_DEPTH) {
    out.push({ path: path || '/', message: 'Payload nested too deeply' });
    return out;
  }
  // Binary data (Buffer/Uint8Array) has index keys only; nothing to inspect.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return out;
  for (const key of Object.keys(value)) {
    const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key.startsWith('$'))
      out.push({ path: childPath, message: 'Keys starting with $ are not allowed' });
    else if (FORBIDDEN_KEYS.has(key))
      out.push({ path: childPath, message: 'Reserved key not allowed' });
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null)
      findUnsafeKeys(child, childPath, depth + 1, out);
  }
  return out;
}
