import { isPlainObject, numericValue, type Doc } from '../bson-values.js';
import { parseCollation } from '../collation.js';
import type { CursorRegistry } from '../cursors.js';
import { CommandError, invalidNamespace } from '../errors.js';
import { runUpdatePipeline } from '../mingo-options.js';
import { wrapMingo, type QueryOptions } from '../query.js';
import type { Storage } from '../storage.js';

/** What a command handler may touch. Handlers run synchronously, which makes each command atomic. */
export interface CommandContext {
  storage: Storage;
  cursors: CursorRegistry;
  db: string;
  connectionId: number;
  remote: string;
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

/** The collection name that is the value of the command's first field. */
export function collectionName(cmd: Doc, commandName: string): string {
  const v = cmd[commandName];
  if (typeof v !== 'string' || v === '') {
    throw invalidNamespace(
      `collection name has invalid type ${Array.isArray(v) ? 'array' : typeof v}`,
    );
  }
  return v;
}

export function optionalDoc(cmd: Doc, field: string): Doc | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v))
    throw new CommandError(
      14,
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${Array.isArray(v) ? 'array' : typeof v}', expected type 'object'`,
    );
  return v;
}

export function optionalNumber(cmd: Doc, field: string): number | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  const n = numericValue(v);
  if (n === undefined || Number.isNaN(n)) {
    throw new CommandError(
      14,
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeof v}', expected a number`,
    );
  }
  return Math.trunc(n);
}

export function docArray(cmd: Doc, field: string): Doc[] {
  const v = cmd[field];
  if (!Array.isArray(v))
    throw new CommandError(
      40414,
      'Location40414',
      `BSON field '${field}' is missing but a required field`,
    );
  for (const d of v)
    if (!isPlainObject(d))
      throw new CommandError(14, 'TypeMismatch', `BSON field '${field}' must contain documents`);
  return v as Doc[];
}

export const ok = (extra: Doc = {}): Doc => ({ ...extra, ok: 1 });

/**
 * The `let` and `collation` of a command (or of one update/delete statement, whose own
 * `collation` and constants `c` add to the command's `let`). `let` values are expressions,
 * evaluated once, as MongoDB does.
 */
export function queryOptions(
  cmd: Doc,
  statement?: { collation?: unknown; c?: unknown },
): QueryOptions {
  const out: QueryOptions = {};
  const lets = [optionalDoc(cmd, 'let'), statement && optionalDoc(statement as Doc, 'c')];
  for (const raw of lets) {
    if (!raw) continue;
    out.variables = {
      ...out.variables,
      ...wrapMingo(() => runUpdatePipeline({}, [{ $set: raw }])),
    };
  }
  const spec = statement?.collation ?? cmd.collation;
  const collation = parseCollation(spec);
  if (collation) {
    out.collation = collation;
    out.collationSpec = spec as Doc;
  }
  return out;
}
