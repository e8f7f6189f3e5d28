/**
 * A command failure shaped like MongoDB's: the server answers `{ ok: 0, errmsg, code, codeName, ...extra }`
 * and the driver turns that into a MongoServerError with the same fields.
 */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CommandError';
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  /** The shape of a `writeErrors` entry: mongod writes no codeName there (WriteError::serialize). */
  toWriteError(index: number): Record<string, unknown> {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

export const badValue = (msg: string): CommandError => new CommandError(2, 'BadValue', msg);
export const failedToParse = (msg: string): CommandError =>
  new CommandError(9, 'FailedToParse', msg);
export const notImplemented = (msg: string): CommandError =>
  new CommandError(238, 'NotImplemented', msg);
export const namespaceNotFound = (ns: string): CommandError =>
  new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${ns}`);
export const invalidNamespace = (msg: string): CommandError =>
  new CommandError(73, 'InvalidNamespace', msg);
