import { isPlainObject } from '../bson-values.js';
import { compileFilter } from '../query.js';
import { commandMetrics } from '../command-metrics.js';
import { ok, type Handler } from './context.js';

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE = 48_000_000;

/**
 * The handshake reply. It omits logicalSessionTimeoutMinutes so the driver uses no sessions, and
 * topologyVersion so the driver polls instead of using awaitable (streaming) hello.
 */
const hello: Handler = (_cmd, ctx) =>
  ok({
    helloOk: true,
    isWritablePrimary: true,
    ismaster: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
  });

const buildInfo: Handler = () =>
  ok({
    version: '7.0.0',
    gitVersion: 'embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['memory'],
    modules: [],
    javascriptEngine: 'none',
  });

const listDatabases: Handler = (cmd, ctx) => {
  const match = compileFilter(isPlainObject(cmd.filter) ? cmd.filter : undefined);
  const dbs = ctx.storage
    .databases()
    .map((name) => ({
      name,
      sizeOnDisk: 0,
      empty: ctx.storage.collections(name).every((c) => c.docs.size === 0),
    }))
    .filter((d) => match(d));
  if (cmd.nameOnly === true) return ok({ databases: dbs.map((d) => ({ name: d.name })) });
  return ok({ databases: dbs, totalSize: 0, totalSizeMb: 0 });
};

const dropDatabase: Handler = (_cmd, ctx) => {
  ctx.storage.dropDatabase(ctx.db);
  return ok({ dropped: ctx.db });
};

const serverStatus: Handler = () =>
  ok({
    host: 'embedded',
    version: '7.0.0',
    process: 'embedded-mongo',
    uptime: process.uptime(),
    localTime: new Date(),
    connections: {},
    metrics: { commands: commandMetrics() },
  });

const noop: Handler = () => ok();

export const adminCommands: Record<string, Handler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: noop,
  buildInfo,
  buildinfo: buildInfo,
  hostInfo: () =>
    ok({
      system: { currentTime: new Date(), hostname: 'embedded', cpuArch: process.arch },
      os: { type: process.platform },
      extra: {},
    }),
  getParameter: (cmd) =>
    ok(cmd.featureCompatibilityVersion ? { featureCompatibilityVersion: { version: '7.0' } } : {}),
  getLog: () => ok({ names: ['global', 'startupWarnings'], log: [], totalLinesWritten: 0 }),
  getCmdLineOpts: () => ok({ argv: ['embedded-mongo'], parsed: {} }),
  endSessions: noop,
  killAllSessions: noop,
  killSessions: noop,
  startSession: noop,
  serverStatus,
  whatsmyuri: (_cmd, ctx) => ok({ you: ctx.remote }),
  connectionStatus: () => ok({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  listDatabases,
  dropDatabase,
  getFreeMonitoringStatus: () => ok({ state: 'disabled' }),
  logout: noop,
  currentOp: () => ok({ inprog: [] }),
  dbStats: (_cmd, ctx) => {
    const colls = ctx.storage.collections(ctx.db);
    return ok({
      db: ctx.db,
      collections: colls.length,
      objects: colls.reduce((n, c) => n + c.docs.size, 0),
      dataSize: 0,
      storageSize: 0,
      indexes: colls.reduce((n, c) => n + c.indexes.size, 0),
    });
  },
};
