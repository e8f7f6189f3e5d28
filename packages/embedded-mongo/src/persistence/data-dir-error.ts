/**
 * A data folder the durable mode cannot use: another format, not a database, locked by another
 * server. Its own module so callers can test for it without loading the SQLite addon.
 */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}
