import { ConfigError, createLogger } from '@chat/core';
import { buildApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { createDeps } from './deps.js';
import { drainNode } from './drain.js';

/** Clients reconnect within this window (jittered by the SDK), so survivors are not stampeded. */
const RECONNECT_SPREAD_MS = 2000;
/** Left of DRAIN_TIMEOUT for closing Socket.IO, HTTP and the clients before the hard exit. */
const CLOSE_RESERVE_MS = 1000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({
    name: 'gateway',
    level: config.logLevel,
    base: { nodeId: config.nodeId },
    // Coloured lines for a person at a terminal; JSON for pipes (the npm start runner, log collectors) and production.
    pretty: process.stdout.isTTY === true && process.env.NODE_ENV !== 'production',
  });
  // A stray rejection (e.g. the adapter publishing while Redis reconnects or closes) must
  // be seen in the logs, not take every socket of this node down with it.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const deps = await createDeps(config, logger);
  const { app, io, readiness, inFlight } = buildApp(deps);
  await app.listen({ host: config.host, port: config.port });
  logger.info({ port: config.port }, 'gateway listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.drainTimeoutMs }, 'draining');
    const hardStop = setTimeout(() => {
      logger.error({ timeoutMs: config.drainTimeoutMs }, 'drain timed out; exiting');
      process.exit(1);
    }, config.drainTimeoutMs);
    hardStop.unref();
    drainNode({
      app,
      io,
      readiness,
      inFlight,
      closeDeps: () => deps.close(),
      logger,
      reconnectSpreadMs: RECONNECT_SPREAD_MS,
      timeoutMs: Math.max(0, config.drainTimeoutMs - CLOSE_RESERVE_MS),
    }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `gateway failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
