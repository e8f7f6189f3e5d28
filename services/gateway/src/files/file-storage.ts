import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredFile {
  /** Random 32-hex name under the storage dir; the user's file name is never used on disk. */
  key: string;
  path: string;
  size: number;
}

/** Thrown when the source is longer than allowed; the partial file is already removed. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`file is larger than ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

export interface FileStorage {
  readonly dir: string;
  /** Streams `source` to a new file, counting bytes; never holds the whole file in memory. */
  write(source: Readable, maxBytes: number): Promise<StoredFile>;
  /** Absolute path of a stored key; refuses anything that is not one of our keys. */
  pathOf(key: string): string;
  remove(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{32}$/;

/** Files on a local (or shared, mounted) directory. */
export function createFileStorage(options: { dir: string }): FileStorage {
  const { dir } = options;
  let ready: Promise<unknown> | undefined;

  function pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid storage key');
    return join(dir, key);
  }

  return {
    dir,
    pathOf,

    async write(source, maxBytes) {
      ready ??= mkdir(dir, { recursive: true, mode: 0o750 });
      await ready;
      const key = randomBytes(16).toString('hex');
      const path = pathOf(key);
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          // Stop at the first byte over the limit: the rest is never written.
          if (size > maxBytes) done(new FileTooLargeError(maxBytes));
          else done(null, chunk);
        },
      });
      try {
        // 'wx': a fresh random name must never overwrite anything.
        await pipeline(source, counter, createWriteStream(path, { flags: 'wx', mode: 0o640 }));
      } catch (err) {
        await rm(path, { force: true });
        throw err;
      }
      return { key, path, size };
    },

    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
