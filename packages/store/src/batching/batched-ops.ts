import {
  MongoBulkWriteError,
  ObjectId,
  type Collection,
  type Document,
  type Filter,
  type OptionalUnlessRequiredId,
} from 'mongodb';
import { DuplicateKeyError, unwrapBulkError, WriteFailedError } from '../errors.js';
import { knownIndex } from '../sharded-indexes.js';
import { createCoalescer, type CoalescerOptions } from './coalescer.js';

/**
 * Batched forms of the single-document operations on the send path (see coalescer.ts for why):
 * each helper returns a function with the single-call signature whose concurrent calls become
 * one command. Semantics are those of the individual operations run concurrently.
 */

type Key = string;

/** A stable string for the key fields' values (ObjectIds by hex, the rest as JSON). */
function keyString(values: readonly unknown[]): Key {
  return values
    .map((v) => (v instanceof ObjectId ? `o${v.toHexString()}` : `j${JSON.stringify(v)}`))
    .join('|');
}

/**
 * `findOne({ f1: v1, f2: v2 })` on the fields of a unique index, batched into one `find` with
 * `$in` (one field) or `$or` (several). Misses resolve to null.
 */
export function batchedFindOneByKey<T extends Document, K extends readonly (keyof T & string)[]>(
  collection: Collection<T>,
  fields: K,
  options: CoalescerOptions & { projection?: Document } = {},
): (key: { [I in keyof K]: unknown }) => Promise<T | null> {
  const filterOf = (key: readonly unknown[]): Document =>
    Object.fromEntries(fields.map((f, i) => [f, key[i]]));
  const findOptions = options.projection ? { projection: options.projection } : {};
  return createCoalescer<readonly unknown[], T | null>(async (batch) => {
    let filter: Document;
    if (batch.length === 1) filter = filterOf(batch[0] as readonly unknown[]);
    else if (fields.length === 1)
      filter = { [fields[0] as string]: { $in: batch.map((k) => k[0]) } };
    else filter = { $or: batch.map(filterOf) };
    const docs = (await collection.find(filter as Filter<T>, findOptions).toArray()) as T[];
    const byKey = new Map<Key, T>();
    for (const doc of docs) byKey.set(keyString(fields.map((f) => doc[f])), doc);
    return batch.map((key) => ({ status: 'fulfilled', value: byKey.get(keyString(key)) ?? null }));
  }, options);
}

/**
 * `find({ field: value })` for many values at once (`$in`), grouped back per value.
 * For bounded result sets only (e.g. the members of a conversation).
 */
export function batchedFindByField<T extends Document>(
  collection: Collection<T>,
  field: keyof T & string,
  options: CoalescerOptions & { projection?: Document } = {},
): (value: unknown) => Promise<T[]> {
  const findOptions = options.projection ? { projection: options.projection } : {};
  return createCoalescer<unknown, T[]>(async (batch) => {
    const values = [...new Map(batch.map((v) => [keyString([v]), v])).values()];
    const filter = values.length === 1 ? { [field]: values[0] } : { [field]: { $in: values } };
    const docs = (await collection.find(filter as Filter<T>, findOptions).toArray()) as T[];
    const byValue = new Map<Key, T[]>();
    for (const doc of docs) {
      const key = keyString([doc[field]]);
      const list = byValue.get(key);
      if (list) list.push(doc);
      else byValue.set(key, [doc]);
    }
    return batch.map((v) => ({ status: 'fulfilled', value: byValue.get(keyString([v])) ?? [] }));
  }, options);
}

/** The key pattern of the index named in an E11000 message (`... index: <name> dup key: ...`). */
function keyPatternOf(collection: string, errmsg: unknown): Record<string, unknown> | undefined {
  const name = typeof errmsg === 'string' ? /index: (\S+)/.exec(errmsg)?.[1] : undefined;
  if (name === '_id_') return { _id: 1 };
  const index = name === undefined ? undefined : knownIndex(collection, name);
  return index ? { ...(index.key as Record<string, unknown>) } : undefined;
}

/**
 * Per-item outcome of an unordered bulk command: the driver reports failures by operation
 * index. Its bulk errors drop the server's keyPattern, so duplicate keys carry the index name.
 */
export function settleBulk<Out>(
  collection: string,
  size: number,
  err: unknown,
  ok: (index: number) => Out,
): PromiseSettledResult<Out>[] {
  if (!(err instanceof MongoBulkWriteError)) throw err;
  const raw = err.writeErrors;
  const failed = new Map((Array.isArray(raw) ? raw : [raw]).map((w) => [w.index, w]));
  // No per-operation errors: the command failed as a whole (network, timeout, write concern).
  if (failed.size === 0) throw unwrapBulkError(err);
  return Array.from({ length: size }, (_, i): PromiseSettledResult<Out> => {
    const w = failed.get(i);
    if (!w) return { status: 'fulfilled', value: ok(i) };
    if (w.code === 11000 || w.code === 11001) {
      const keyPattern = keyPatternOf(collection, w.errmsg);
      return {
        status: 'rejected',
        reason: new DuplicateKeyError(w.errmsg ?? 'duplicate key', {
          ...(keyPattern ? { keyPattern } : {}),
          cause: err,
        }),
      };
    }
    return {
      status: 'rejected',
      reason: new WriteFailedError(w.errmsg ?? 'write failed', w.code, i, { cause: err }),
    };
  });
}

/** `insertOne(doc)` batched into one unordered `insertMany`; a duplicate key fails only its own call. */
export function batchedInsertOne<T extends Document>(
  collection: Collection<T>,
  options: CoalescerOptions = {},
): (doc: OptionalUnlessRequiredId<T>) => Promise<void> {
  return createCoalescer<OptionalUnlessRequiredId<T>, undefined>(async (batch) => {
    try {
      await collection.insertMany([...batch], { ordered: false });
      return batch.map(() => ({ status: 'fulfilled', value: undefined }));
    } catch (err) {
      return settleBulk(collection.collectionName, batch.length, err, () => undefined);
    }
  }, options);
}
