/**
 * Runs the embedded server as a process: `--port N --host H [--data-dir DIR [--sync full]]`.
 * Prints `{"url": ..., "dataDir": ...}` as one JSON line once listening, and exits cleanly on
 * SIGINT/SIGTERM (the only place in this package with signal handlers). Without `--data-dir`
 * the data lives in memory only. A data folder it cannot use ends it with code 3 and one line.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataDirError } from './persistence/data-dir-error.js';
import { startEmbeddedMongo } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
    sync: { type: 'string', default: 'normal' },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`embedded-mongo: invalid --port ${values.port}\n`);
  process.exit(2);
}

const sync = values.sync;
if (sync !== 'normal' && sync !== 'full') {
  process.stderr.write(`embedded-mongo: --sync must be normal or full (got ${sync})\n`);
  process.exit(2);
}
const dataDir = values['data-dir'] === undefined ? undefined : resolve(values['data-dir']);

const logger = {
  warn: (o: object, msg?: string): void => {
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg, ...o }, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`,
    );
  },
};

let server;
try {
  server = await startEmbeddedMongo({
    port,
    host: values.host,
    logger,
    dataDir,
    synchronous: sync,
  });
} catch (err) {
  if (!(err instanceof DataDirError)) throw err;
  process.stderr.write(`embedded-mongo: ${err.message}\n`);
  process.exit(3);
}
process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: dataDir ?? null })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
