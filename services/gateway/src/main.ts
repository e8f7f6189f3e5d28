import { ConfigError, createLogger } from '@chat/core';
import { buildApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { createDeps } from './deps.js';

/** Clients reconnect within this window (jittered by the SDK), so survivors are not stampeded. */
const RECONNECT_SPREAD_MS = 2000;

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
  const logger = createLogger({ name: 'gateway', level: config.logLevel, base: { nodeId: config.nodeId } });
  // A stray rejection (e.g. the adapter publishing while Redis reconnects or closes) must
  // be seen in the logs, not take every socket of this node down with it.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const deps = await createDeps(config, logger);
  const { app, io, readiness } = buildApp(deps);
  await app.listen({ host: config.host, port: config.port });
  logger.info({ port: config.port }, 'gateway listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const hardStop = setTimeout(() => {
      logger.error({ timeoutMs: config.drainTimeoutMs }, 'drain timed out; exiting');
      process.exit(1);
    }, config.drainTimeoutMs);
    hardStop.unref();
    // DESIGN decision 8: readiness fails first so the balancer stops sending new clients,
    // then connected clients are told to move, then in-flight work finishes.
    readiness.draining = true;
    io.local.emit('server:draining', { reconnectAfterMs: RECONNECT_SPREAD_MS });
    io.local.disconnectSockets(true);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await app.close();
    await deps.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
