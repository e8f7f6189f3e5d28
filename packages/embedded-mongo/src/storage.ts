import { Collection } from './collection.js';
import { invalidNamespace } from './errors.js';
import type { WriteJournal } from './persistence/journal.js';

/**
 * All databases of one server instance, in memory. With a journal (durable mode) every change
 * is also reported to it; the durable store reads the data back into a fresh Storage at startup.
 */
export class Storage {
  private readonly dbs = new Map<string, Map<string, Collection>>();

  constructor(private readonly journal?: WriteJournal) {}

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Databases and collections are created implicitly on first write, as in MongoDB. */
  getOrCreate(db: string, name: string): Collection {
    const existing = this.get(db, name);
    if (existing) return existing;
    validateName(db, name);
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    const c = new Collection(db, name, this.journal);
    colls.set(name, c);
    this.journal?.collectionChanged(db, name);
    return c;
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  allCollections(): Collection[] {
    return [...this.dbs.values()].flatMap((m) => [...m.values()]);
  }

  databases(): string[] {
    return [...this.dbs.keys()];
  }

  drop(db: string, name: string): boolean {
    const colls = this.dbs.get(db);
    if (!colls?.delete(name)) return false;
    if (colls.size === 0) this.dbs.delete(db);
    this.journal?.collectionDropped(db, name);
    return true;
  }

  dropDatabase(db: string): void {
    for (const name of [...(this.dbs.get(db)?.keys() ?? [])]) this.drop(db, name);
    this.dbs.delete(db);
  }
}

function validateName(db: string, name: string): void {
  if (db === '' || /[/\\. "$]/.test(db)) throw invalidNamespace(`Invalid database name: '${db}'`);
  if (name === '' || name.includes('$') || name.startsWith('.') || name.includes('\0')) {
    throw invalidNamespace(`Invalid collection name: ${name}`);
  }
}
