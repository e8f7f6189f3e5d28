import type { Doc } from '../bson-values.js';
import { CommandError } from '../errors.js';

/**
 * MongoDB 7.0 parses its commands strictly (IDL): a field it does not know is an error,
 * `BSON field 'update.updates.sort' is an unknown field.` (40415). So does this server, for
 * the fields of the CRUD commands and of their statements, so a request that 7.0 refuses (the
 * 8.0-only `sort` of updateOne/replaceOne, a misspelt option) is never silently half-applied.
 * `$`-prefixed fields and the generic arguments every command takes are always allowed.
 */
const GENERIC = [
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'readConcern',
  'writeConcern',
  'maxTimeMS',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'databaseVersion',
  'shardVersion',
  'clientOperationKey',
  'mayBypassWriteBlocking',
];

const fields = (...names: string[]): ReadonlySet<string> => new Set([...names, ...GENERIC]);

export const FIND_FIELDS = fields(
  'find',
  'filter',
  'projection',
  'sort',
  'hint',
  'skip',
  'limit',
  'batchSize',
  'singleBatch',
  'max',
  'min',
  'returnKey',
  'showRecordId',
  'tailable',
  'oplogReplay',
  'noCursorTimeout',
  'awaitData',
  'allowPartialResults',
  'collation',
  'allowDiskUse',
  'let',
  'readOnce',
  'term',
);
export const INSERT_FIELDS = fields(
  'insert',
  'documents',
  'ordered',
  'bypassDocumentValidation',
  'stmtId',
  'stmtIds',
);
export const UPDATE_FIELDS = fields(
  'update',
  'updates',
  'ordered',
  'bypassDocumentValidation',
  'let',
  'stmtId',
  'stmtIds',
);
export const DELETE_FIELDS = fields('delete', 'deletes', 'ordered', 'let', 'stmtId', 'stmtIds');
/** The fields of one `updates` entry in 7.0 (no `sort`: that is 8.0). */
export const UPDATE_STATEMENT_FIELDS: ReadonlySet<string> = new Set([
  'q',
  'u',
  'c',
  'upsert',
  'multi',
  'arrayFilters',
  'hint',
  'collation',
  'upsertSupplied',
  'sampleId',
]);
export const DELETE_STATEMENT_FIELDS: ReadonlySet<string> = new Set([
  'q',
  'limit',
  'hint',
  'collation',
  'sampleId',
]);
export const FIND_AND_MODIFY_FIELDS = fields(
  'findAndModify',
  'findandmodify',
  'query',
  'sort',
  'remove',
  'update',
  'new',
  'fields',
  'upsert',
  'bypassDocumentValidation',
  'collation',
  'arrayFilters',
  'hint',
  'let',
  'stmtId',
);
export const AGGREGATE_FIELDS = fields(
  'aggregate',
  'pipeline',
  'explain',
  'allowDiskUse',
  'cursor',
  'bypassDocumentValidation',
  'hint',
  'collation',
  'let',
  'needsMerge',
  'fromMongos',
  'fromRouter',
  'exchange',
  'isMapReduceCommand',
);

/** Throws 40415 for the first field of `doc` that `allowed` lacks (`path`: e.g. 'update.updates'). */
export function checkFields(doc: Doc, path: string, allowed: ReadonlySet<string>): void {
  for (const field of Object.keys(doc)) {
    if (field.startsWith('$') || allowed.has(field)) continue;
    throw new CommandError(
      40415,
      'Location40415',
      `BSON field '${path}.${field}' is an unknown field.`,
    );
  }
}
