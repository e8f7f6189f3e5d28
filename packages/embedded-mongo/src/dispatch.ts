import type { Doc } from './bson-values.js';
import { adminCommands } from './commands/admin.js';
import { collectionCommands } from './commands/collections.js';
import type { CommandContext, Handler } from './commands/context.js';
import { findAndModifyCommands } from './commands/find-and-modify.js';
import { readCommands } from './commands/read.js';
import { writeCommands } from './commands/write.js';
import { countCommand } from './command-metrics.js';
import { CommandError } from './errors.js';

export interface DispatchLogger {
  warn(o: object, msg?: string): void;
  debug?(...a: unknown[]): void;
}

const COMMANDS = new Map<string, Handler>(
  Object.entries({
    ...adminCommands,
    ...collectionCommands,
    ...readCommands,
    ...writeCommands,
    ...findAndModifyCommands,
  }),
);

/** Runs one command and always returns a reply document (errors become `ok: 0` replies). */
export function dispatch(cmd: Doc, ctx: CommandContext, logger?: DispatchLogger): Doc {
  const name = Object.keys(cmd)[0];
  const handler = name === undefined ? undefined : COMMANDS.get(name);
  if (!handler) {
    countCommand('<UNKNOWN>', true);
    return new CommandError(59, 'CommandNotFound', `no such command: '${name ?? ''}'`).toReply();
  }
  try {
    const reply = handler(cmd, ctx);
    countCommand(name as string, reply.ok !== 1);
    return reply;
  } catch (err) {
    countCommand(name as string, true);
    if (err instanceof CommandError) return err.toReply();
    // A bug here must not kill the connection: answer like the server's InternalError.
    logger?.warn({ err, command: name }, 'embedded-mongo: command failed unexpectedly');
    const message = err instanceof Error ? err.message : String(err);
    return new CommandError(1, 'InternalError', message).toReply();
  }
}
