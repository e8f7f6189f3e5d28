// `npm start`: a local cluster in the foreground (docs/PROTOCOL.md#section-6).
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortOpen, renderNginxConfig, startNginx, waitForHttp } from '@chat/testkit';
import { parseRunnerArgs } from './args.js';
import {
  clusterFilePath,
  removeClusterFile,
  writeClusterFile,
  type ClusterFile,
} from './cluster-file.js';
import { createLineFormatter } from './log-format.js';
import { Supervisor } from './processes.js';
import { provideRedisBackend } from './redis-backend.js';
import { provideMongo, tsEntryArgs, workerEntry } from './services.js';
import { prepareLocalTls, waitForHttps } from './tls.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const FORCE_AFTER_MS = 1_000;

const log = (line: string): void => {
  process.stderr.write(`[runner] ${line}\n`);
};

async function main(): Promise<number> {
  const options = parseRunnerArgs(process.argv.slice(2), process.env, repoRoot);
  const nodePorts = Array.from({ length: options.nodes }, (_, i) => options.port + 1 + i);
  for (const port of [options.port, ...nodePorts]) {
    if (await isPortOpen(port))
      throw new Error(`port ${port} is already in use (choose another with --port)`);
  }

  const supervisor = new Supervisor(
    log,
    createLineFormatter({ isTTY: process.stdout.isTTY === true, nodeEnv: process.env.NODE_ENV }),
  );
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      log(`${reason}: stopping the cluster`);
      await supervisor.stopAll(
        ['worker', ...nodePorts.map((_, i) => `node-${i + 1}`)],
        STOP_TIMEOUT_MS,
      );
      await removeClusterFile(options.runDir);
      log('stopped');
    })();
    return shuttingDown;
  };
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      void shutdown(signal).then(() => process.exit(0));
      return;
    }
    // One Ctrl-C arrives several times (the terminal's group plus the relays of npm,
    // pnpm and tsx); only a signal well after the first one means "force it".
    if (Date.now() - firstSignalAt < FORCE_AFTER_MS) return;
    log(`${signal} again: killing everything`);
    supervisor.killAll();
    rmSync(clusterFilePath(options.runDir), { force: true });
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const backend = await provideRedisBackend(supervisor, process.env, options.redisCluster);
    const redis = backend.endpoint;
    log(backend.describe);
    const mongo = await provideMongo(supervisor, process.env, repoRoot, options.dataDir, log);
    log(`mongo ${mongo.url}${mongo.pid ? ` (pid ${mongo.pid}, embedded)` : ' (MONGO_URL)'}`);

    const tls = options.tls ? await prepareLocalTls(options.runDir) : undefined;
    const url = tls ? `https://localhost:${options.port}` : `http://127.0.0.1:${options.port}`;
    const shared = {
      ...process.env,
      ...backend.env,
      MONGO_URL: mongo.url,
      MONGO_DB: options.mongoDb,
      PUBLIC_URL: url,
    };
    const gateway = join(repoRoot, 'services', 'gateway', 'src', 'main.ts');
    const nodes: ClusterFile['nodes'] = [];
    for (const [i, port] of nodePorts.entries()) {
      const id = `node-${i + 1}`;
      const child = await supervisor.start(id, process.execPath, tsEntryArgs(gateway), {
        cwd: repoRoot,
        env: { ...shared, PORT: String(port), NODE_ID: id },
      });
      nodes.push({ id, port, pid: child.pid });
    }
    const workerFile = workerEntry(repoRoot);
    const worker = workerFile
      ? await supervisor.start('worker', process.execPath, tsEntryArgs(workerFile), {
          cwd: repoRoot,
          env: { ...shared, NODE_ID: 'worker' },
        })
      : undefined;
    if (!worker) log('services/worker/src/main.ts does not exist yet: no worker started');

    const nginx = await startNginx(
      renderNginxConfig({
        listenPort: options.port,
        upstreams: nodePorts.map((port) => ({ host: '127.0.0.1', port })),
        ...(tls ? { tls: { certFile: tls.certFile, keyFile: tls.keyFile } } : {}),
      }),
      { port: options.port },
    );
    supervisor.adopt('nginx', nginx.process, () => nginx.stop());

    // Every node must be ready, not only the one nginx's hash picks for us.
    const ready = Promise.all([
      ...nodePorts.map((port) =>
        waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeout: READY_TIMEOUT_MS }),
      ),
    ]).then(() =>
      tls
        ? waitForHttps(`${url}/readyz`, tls.cert, 10_000)
        : waitForHttp(`${url}/readyz`, { timeout: 10_000 }),
    );
    await Promise.race([ready, supervisor.firstExit().then((error) => Promise.reject(error))]);

    const path = await writeClusterFile(options.runDir, {
      url,
      nginx: { port: options.port, pid: nginx.pid },
      nodes,
      worker: worker ? { pid: worker.pid } : null,
      redis,
      mongo,
    });
    log(`cluster file ${path}`);
    if (tls)
      log(`TLS: self-signed certificate ${tls.certFile} (trust it to avoid browser warnings)`);
    console.log(`Chat cluster ready: ${url} (${options.nodes} nodes)`);
    return await new Promise<number>(() => undefined);
  } catch (error) {
    log(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start failed');
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
