/**
 * Runs the embedded server as a process: `--port N --host H`. Prints `{"url": ...}` as one JSON line
 * once listening, and exits cleanly on SIGINT/SIGTERM (the only place in this package with signal handlers).
 */
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`embedded-mongo: invalid --port ${values.port}\n`);
  process.exit(2);
}

const logger = {
  warn: (o: object, msg?: string): void => {
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg, ...o }, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`,
    );
  },
};

const server = await startEmbeddedMongo({ port, host: values.host, logger });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

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
