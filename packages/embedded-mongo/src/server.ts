import net from 'node:net';
import type { Doc } from './bson-values.js';
import { MAX_MESSAGE_SIZE } from './commands/admin.js';
import type { CommandContext } from './commands/context.js';
import { CursorRegistry } from './cursors.js';
import { dispatch, type DispatchLogger } from './dispatch.js';
import { CommandError } from './errors.js';
import type { SqliteStore } from './persistence/sqlite-store.js';
import { Storage } from './storage.js';
import { decodeMessage, encodeMsgReply, encodeOpReply, OP_QUERY, WireError } from './wire.js';

export interface EmbeddedMongo {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  logger?: DispatchLogger;
  /**
   * Keep the data in this folder (SQLite, see persistence/sqlite-store.ts) and load it at
   * startup; without it everything lives in memory only.
   * @default undefined (in memory)
   */
  dataDir?: string;
  /** Durable mode only. @default 'normal' */
  synchronous?: 'normal' | 'full';
  /** Called with every command before it runs (tests record the commands real code sends). */
  onCommand?: (command: Doc, db: string) => void;
}

/** What one connection needs besides the command context. */
interface ServeOptions {
  logger: DispatchLogger | undefined;
  durable: SqliteStore | undefined;
  onCommand: ((command: Doc, db: string) => void) | undefined;
}

/** TTL documents are removed by a sweep this often, like mongod's TTL monitor (which runs every 60 s). */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Starts a MongoDB-wire-compatible server. In memory unless `dataDir` is set; then the data is
 * loaded from and written through to that folder, and `close()` closes the database too.
 */
export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;
  // Loaded only in durable mode, so in-memory users never load the native SQLite addon.
  const durable =
    options.dataDir === undefined
      ? undefined
      : (await import('./persistence/sqlite-store.js')).openSqliteStore({
          dataDir: options.dataDir,
          synchronous: options.synchronous,
        });
  const storage = durable ? durable.load() : new Storage();
  const serve: ServeOptions = { logger, durable, onCommand: options.onCommand };
  const cursors = new CursorRegistry();
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => logger?.debug?.({ err }, 'embedded-mongo: socket error'));
    serveConnection(
      socket,
      {
        storage,
        cursors,
        db: 'admin',
        connectionId: nextConnectionId++,
        remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
      },
      serve,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const coll of storage.allCollections()) coll.sweepExpired(now);
    cursors.reapIdle(now);
    if (durable && !durable.broken) {
      try {
        durable.commit(storage);
      } catch (err) {
        logger?.warn({ err }, 'embedded-mongo: saving the TTL sweep failed; refusing all commands');
      }
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(sweep);
      cursors.clear();
      for (const s of sockets) s.destroy();
      server.close(() => {
        durable?.close();
        resolve();
      });
    });
    return closing;
  };

  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `mongodb://${urlHost}:${port}/?directConnection=true`, port, host, close };
}

/** Frames messages off the socket and answers each in arrival order. */
function serveConnection(socket: net.Socket, base: CommandContext, serve: ServeOptions): void {
  const logger = serve.logger;
  let chunks: Buffer[] = [];
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    // Replies to every request in this chunk leave in one write (one syscall, not one each).
    const replies: Buffer[] = [];
    while (buffered >= 4) {
      const head = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      chunks = [head];
      const length = head.readInt32LE(0);
      if (length < 16 || length > MAX_MESSAGE_SIZE) {
        logger?.warn({ length }, 'embedded-mongo: invalid message length, closing connection');
        writeAll(socket, replies);
        socket.destroy();
        return;
      }
      if (buffered < length) break;
      const message = head.subarray(0, length);
      const rest = head.subarray(length);
      chunks = rest.length ? [rest] : [];
      buffered = rest.length;
      const reply = handleMessage(message, base, serve);
      if (reply === null) {
        writeAll(socket, replies);
        socket.destroy();
        return;
      }
      if (reply) replies.push(reply);
    }
    writeAll(socket, replies);
  });
}

/**
 * One write for all the replies. A module-level function, not a closure per chunk: the dev
 * runner (tsx) wraps every named closure it creates in a defineProperty call.
 */
function writeAll(socket: net.Socket, replies: Buffer[]): void {
  if (replies.length === 1) socket.write(replies[0] as Buffer);
  else if (replies.length > 1) socket.write(Buffer.concat(replies));
}

/** Returns the reply bytes, undefined when no reply is expected, null when the connection must close. */
function handleMessage(
  message: Buffer,
  base: CommandContext,
  serve: ServeOptions,
): Buffer | undefined | null {
  const logger = serve.logger;
  let request;
  try {
    request = decodeMessage(message);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    logger?.warn({ err }, 'embedded-mongo: malformed message, closing connection');
    return null;
  }
  const cmd: Doc = request.command;
  const db =
    typeof cmd.$db === 'string' ? cmd.$db : (request.fullCollectionName?.split('.')[0] ?? 'admin');
  serve.onCommand?.(cmd, db);
  const reply = serve.durable
    ? dispatchDurably(cmd, { ...base, db }, serve.durable, logger)
    : dispatch(cmd, { ...base, db }, logger);
  if (request.noReply) return undefined;
  return request.opCode === OP_QUERY
    ? encodeOpReply(request.requestId, reply)
    : encodeMsgReply(request.requestId, reply);
}

/**
 * Runs the command, then commits what it changed before the reply exists: an acknowledged
 * write is always on disk. After a failed commit every command is refused (fail-stop).
 */
function dispatchDurably(
  cmd: Doc,
  ctx: CommandContext,
  durable: SqliteStore,
  logger: DispatchLogger | undefined,
): Doc {
  if (durable.broken) return storageFailure(durable.broken).toReply();
  const reply = dispatch(cmd, ctx, logger);
  try {
    durable.commit(ctx.storage);
  } catch (err) {
    logger?.warn({ err }, 'embedded-mongo: durable commit failed; refusing all commands');
    return storageFailure(err).toReply();
  }
  return reply;
}

const storageFailure = (err: unknown): CommandError =>
  new CommandError(
    1,
    'InternalError',
    `the embedded server could not save to its data folder and stopped accepting commands: ${err instanceof Error ? err.message : String(err)}`,
  );
