/**
 * Durable mode: every change the in-memory collections make is written to one SQLite database
 * (better-sqlite3, WAL journal) and the whole data set is read back into memory at startup.
 * Queries never touch SQLite; it is a write-ahead copy of the in-memory state.
 *
 * Safety rules:
 * - The server calls `commit()` after each command and before encoding its reply, so a write is
 *   acknowledged only once its SQLite transaction has committed. One command (an insertMany of
 *   100 documents, an update with multi, a bulk of deletes) is one transaction.
 * - `synchronous = NORMAL` with WAL: a committed transaction is in the WAL file (the OS page
 *   cache) before commit returns, so a killed server process (SIGKILL, OOM, crash) loses no
 *   acknowledged write; a power cut may lose the last transactions but never corrupts the
 *   database (SQLite's documented WAL guarantee). FULL would add an fsync per command
 *   (milliseconds each on ordinary disks) for the power-cut case, which a dev/small-team
 *   server does not need; `synchronous: 'full'` turns it on.
 * - If a commit fails (disk full), the in-memory state is ahead of the disk: the store turns
 *   `broken` and the server refuses every later command, so nothing unsaved is ever acknowledged.
 * - The lock is exclusive: a second server on the same folder fails at startup instead of
 *   keeping a diverging copy.
 * - A `meta` row names the format; any other format fails with a clear message (never a
 *   silent reinterpretation). Bump FORMAT whenever the tables or the id encoding change.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deserialize, serialize } from 'bson';
import { keyOf, type Doc } from '../bson-values.js';
import { describeIndex, parseIndexSpec } from '../index-spec.js';
import type { Collection } from '../collection.js';
import { Storage } from '../storage.js';
import { DataDirError } from './data-dir-error.js';
import type { WriteJournal } from './journal.js';

export const FORMAT = 'chat-embedded-mongo-sqlite/1';
export const DATA_FILE = 'embedded-mongo.sqlite';

export interface SqliteStoreOptions {
  /** The folder holding the database file; created when missing. */
  dataDir: string;
  /** @default 'normal' (see the module comment) */
  synchronous?: 'normal' | 'full';
}

type Op =
  | { kind: 'put'; ns: string; id: string; doc: Doc }
  | { kind: 'delete'; ns: string; id: string }
  | { kind: 'clear'; ns: string }
  | { kind: 'meta'; db: string; name: string }
  | { kind: 'drop'; ns: string };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS collections (ns TEXT PRIMARY KEY, db TEXT NOT NULL, name TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS indexes (
    ns TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL, PRIMARY KEY (ns, name));
  -- A rowid table: loading in rowid order restores the insertion order of each collection
  -- (an upsert keeps its row, as Map.set keeps a key's position).
  CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY, ns TEXT NOT NULL, id TEXT NOT NULL, doc BLOB NOT NULL,
    UNIQUE (ns, id));
`;

/** Opens (or creates) the data folder's database and loads every collection into a Storage. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  mkdirSync(options.dataDir, { recursive: true });
  const file = join(options.dataDir, DATA_FILE);
  let db: Database.Database;
  try {
    // No busy wait: the lock is exclusive, so a held lock means another server owns the folder.
    db = new Database(file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
  } catch (err) {
    throw new DataDirError(
      `${file} cannot be opened as an embedded-mongo data file (${(err as Error).message}); ` +
        'it is in use by another server, or not a database this server wrote. ' +
        'Stop the other server, or move the folder aside to start empty.',
      { cause: err },
    );
  }
  try {
    checkFormat(db, file);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    return new SqliteStore(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
}

function checkFormat(db: Database.Database, file: string): void {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all()
    .map((t) => t.name);
  if (tables.length === 0) {
    db.exec(SCHEMA);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('format', FORMAT);
    return;
  }
  const row = tables.includes('meta')
    ? db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('format')
    : undefined;
  if (row?.value !== FORMAT) {
    throw new DataDirError(
      `${file} holds data in format "${row?.value ?? 'unknown'}", but this version of the ` +
        `embedded server reads "${FORMAT}" only. Nothing was changed. Use the version that ` +
        'wrote it, or move the folder aside to start empty.',
    );
  }
}

export class SqliteStore implements WriteJournal {
  private ops: Op[] = [];
  /** Set when a commit failed: the server then refuses every command (see the module comment). */
  broken: Error | undefined;
  private readonly stmts;
  private readonly commitOps: (ops: Op[], storage: Storage) => void;

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {
    this.stmts = {
      put: db.prepare(
        'INSERT INTO docs (ns, id, doc) VALUES (?, ?, ?) ON CONFLICT (ns, id) DO UPDATE SET doc = excluded.doc',
      ),
      delete: db.prepare('DELETE FROM docs WHERE ns = ? AND id = ?'),
      clear: db.prepare('DELETE FROM docs WHERE ns = ?'),
      upsertColl: db.prepare(
        'INSERT INTO collections (ns, db, name) VALUES (?, ?, ?) ON CONFLICT (ns) DO NOTHING',
      ),
      dropColl: db.prepare('DELETE FROM collections WHERE ns = ?'),
      clearIndexes: db.prepare('DELETE FROM indexes WHERE ns = ?'),
      putIndex: db.prepare('INSERT INTO indexes (ns, name, spec) VALUES (?, ?, ?)'),
    };
    this.commitOps = db.transaction((ops: Op[], storage: Storage) => {
      for (const op of ops) this.apply(op, storage);
    });
  }

  put(ns: string, id: string, doc: Doc): void {
    this.ops.push({ kind: 'put', ns, id, doc });
  }
  delete(ns: string, id: string): void {
    this.ops.push({ kind: 'delete', ns, id });
  }
  clear(ns: string): void {
    this.ops.push({ kind: 'clear', ns });
  }
  collectionChanged(db: string, name: string): void {
    this.ops.push({ kind: 'meta', db, name });
  }
  collectionDropped(db: string, name: string): void {
    this.ops.push({ kind: 'drop', ns: `${db}.${name}` });
  }

  /**
   * A Storage holding everything committed so far, reporting its changes to this store.
   * Documents go straight into their collection (no intermediate lists: at 300k documents
   * the garbage collector is the largest cost of a startup), then each index is built in
   * one pass over them.
   */
  load(): Storage {
    const storage = new Storage(this);
    const colls = this.db
      .prepare<[], { db: string; name: string }>('SELECT db, name FROM collections ORDER BY rowid')
      .all();
    const byNs = new Map<string, Collection>();
    for (const c of colls) byNs.set(`${c.db}.${c.name}`, storage.getOrCreate(c.db, c.name));
    const rows = this.db
      .prepare<[], [string, Buffer]>('SELECT ns, doc FROM docs ORDER BY seq')
      .raw()
      .iterate();
    let coll: Collection | undefined;
    let collNs = '';
    for (const [ns, bytes] of rows) {
      if (ns !== collNs) {
        coll = byNs.get(ns);
        collNs = ns;
      }
      const doc = deserialize(bytes);
      coll?.restore(keyOf(doc._id), doc);
    }
    const indexRows = this.db
      .prepare<[], { ns: string; spec: Buffer }>('SELECT ns, spec FROM indexes ORDER BY rowid')
      .all();
    for (const row of indexRows)
      byNs.get(row.ns)?.createIndex(parseIndexSpec(deserialize(row.spec)));
    // Loading replayed the writes into the journal; they are on disk already.
    this.ops = [];
    return storage;
  }

  /** Writes the changes since the last commit in one transaction; throws if it fails. */
  commit(storage: Storage): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    try {
      this.commitOps(ops, storage);
    } catch (err) {
      this.broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  private apply(op: Op, storage: Storage): void {
    switch (op.kind) {
      case 'put':
        this.stmts.put.run(op.ns, op.id, serialize(op.doc));
        return;
      case 'delete':
        this.stmts.delete.run(op.ns, op.id);
        return;
      case 'clear':
        this.stmts.clear.run(op.ns);
        return;
      case 'drop':
        this.stmts.clear.run(op.ns);
        this.stmts.clearIndexes.run(op.ns);
        this.stmts.dropColl.run(op.ns);
        return;
      case 'meta': {
        // The collection's current index set, whatever happened to it during the command.
        const coll = storage.get(op.db, op.name);
        if (!coll) return;
        this.stmts.upsertColl.run(coll.ns, op.db, op.name);
        this.stmts.clearIndexes.run(coll.ns);
        for (const ix of coll.indexes.values()) {
          if (ix.spec.name === '_id_') continue;
          this.stmts.putIndex.run(coll.ns, ix.spec.name, serialize(describeIndex(ix.spec)));
        }
        return;
      }
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
