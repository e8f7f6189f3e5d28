/**
 * `pnpm bench [--quick] [--targets reference,persisted,ours] [--scenarios one-to-one,fan-out,storm,sync] ...`
 * Starts the relay reference, the persisted reference and ours in turn on loopback, drives
 * each with the same load generator, prints a summary with ours/relay and ours/persisted
 * ratios and writes JSON; stops everything.
 */
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startReference } from './reference/cluster.js';
import { buildServers } from './server-build.js';
import {
  renderSteps,
  renderSummary,
  writeResult,
  type BenchReport,
  type TargetResults,
} from './report.js';
import { runConnectStorm } from './scenarios/connect-storm.js';
import { runFanOut, runOneToOne, type SearchSettings } from './scenarios/messaging.js';
import { runSyncCatchup } from './scenarios/sync-catchup.js';
import type { Target } from './target.js';
import { startOurs, type OursTarget } from './targets/ours.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};
const SCENARIOS = ['storm', 'one-to-one', 'fan-out', 'sync'] as const;
type Scenario = (typeof SCENARIOS)[number];

function parseOptions() {
  // `pnpm run bench -- --quick` passes the `--` through; drop it so the flags after it count.
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      quick: { type: 'boolean', default: false },
      targets: { type: 'string', default: 'reference,persisted,ours' },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      nodes: { type: 'string', default: '2' },
      clients: { type: 'string', default: '1000' },
      'group-size': { type: 'string', default: '50' },
      'step-seconds': { type: 'string' },
      drain: { type: 'string', default: '1500' },
      'start-rate': { type: 'string', default: '100' },
      'fan-start-rate': { type: 'string', default: '25' },
      'max-rate': { type: 'string', default: '64000' },
      bisect: { type: 'string' },
      'no-retry': { type: 'boolean', default: false },
      'light-rate': { type: 'string', default: '100' },
      'fixed-rates': { type: 'string', default: '500,2000' },
      storm: { type: 'string' },
      'sync-missed': { type: 'string', default: '10000' },
      profile: { type: 'string' },
      'from-source': { type: 'boolean', default: false },
      'gateway-env': { type: 'string', default: '' },
      'node-args': { type: 'string', default: '' },
      out: { type: 'string', default: 'bench-results' },
    },
    strict: true,
  });
  const int = (name: string, raw: string, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
    return value;
  };
  const list = <T extends string>(name: string, raw: string, known: readonly T[]): T[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const item of items)
      if (!known.includes(item as T))
        throw new Error(`unknown --${name} "${item}" (known: ${known.join(', ')})`);
    return items as T[];
  };
  const quick = values.quick;
  const clients = int('clients', values.clients, 4, 20_000);
  return {
    quick,
    targets: list('targets', values.targets, ['reference', 'persisted', 'ours'] as const),
    scenarios: list('scenarios', values.scenarios, SCENARIOS),
    nodes: int('nodes', values.nodes, 1, 16),
    clients,
    groupSize: int('group-size', values['group-size'], 2, 1000),
    search: {
      startRate: int('start-rate', values['start-rate'], 1, 1_000_000),
      maxRate: int('max-rate', values['max-rate'], 1, 1_000_000),
      bisectSteps: int('bisect', values.bisect ?? (quick ? '1' : '2'), 0, 10),
      stepSeconds: int('step-seconds', values['step-seconds'] ?? (quick ? '1' : '2'), 1, 120),
      drainMs: int('drain', values.drain, 0, 60_000),
      confirmFailures: !values['no-retry'],
    } satisfies SearchSettings,
    fanStartRate: int('fan-start-rate', values['fan-start-rate'], 1, 1_000_000),
    lightRate: int('light-rate', values['light-rate'], 0, 100_000),
    fixedRates: values['fixed-rates']
      .split(',')
      .filter((r) => r.trim() !== '')
      .map((r) => int('fixed-rates', r.trim(), 1, 1_000_000)),
    storm: (values.storm ?? (quick ? '1000' : '1000,5000'))
      .split(',')
      .map((s) => int('storm', s.trim(), 1, 50_000)),
    syncMissed: int('sync-missed', values['sync-missed'], 1, 1_000_000),
    build: values['from-source'] ? ('source' as const) : ('dist' as const),
    // A/B of one setting in the same run is two runs; these say which setting the run had.
    gatewayEnv: Object.fromEntries(
      values['gateway-env']
        .split(',')
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
    ),
    serverNodeArgs: values['node-args'].split(/\s+/).filter(Boolean),
    profileDir: values.profile
      ? resolve(process.env.INIT_CWD ?? process.cwd(), values.profile)
      : undefined,
    // pnpm runs the script inside infra/bench; INIT_CWD is where the user typed the command.
    outDir: resolve(process.env.INIT_CWD ?? process.cwd(), values.out),
  };
}
type Options = ReturnType<typeof parseOptions>;

async function runTarget(
  target: Target,
  options: Options,
  signal: AbortSignal,
): Promise<TargetResults> {
  const results: TargetResults = {};
  const want = (s: Scenario): boolean => options.scenarios.includes(s) && !signal.aborted;
  // The storm runs first, on fresh nodes: its memory baseline is not blurred by garbage the
  // message scenarios leave behind.
  if (want('storm'))
    results.storm = await runConnectStorm(target, { levels: options.storm, log, signal });
  if (want('one-to-one')) {
    results.oneToOne = await runOneToOne(target, {
      clients: options.clients,
      search: options.search,
      lightRate: options.lightRate,
      lightSeconds: options.quick ? 2 : 5,
      fixedRates: options.fixedRates,
      log,
      signal,
    });
  }
  if (want('fan-out')) {
    results.fanOut = await runFanOut(target, {
      clients: options.clients,
      groupSize: options.groupSize,
      search: { ...options.search, startRate: options.fanStartRate },
      log,
      signal,
    });
  }
  if (want('sync') && target.name === 'ours')
    results.sync = await runSyncCatchup(target as OursTarget, { missed: options.syncMissed, log });
  return results;
}

async function main(): Promise<number> {
  const options = parseOptions();
  const abort = new AbortController();
  let signals = 0;
  let current: Target | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    log(`${signal}: stopping${signals > 1 ? ' now' : ' (again to force)'}`);
    abort.abort();
    // spawnManaged's exit handler SIGKILLs every child when we exit.
    if (signals > 1) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Bounded in time whatever happens (generous: a slow machine still finishes a full run).
  const budgetMs = (options.quick ? 6 : 20) * 60_000;
  const deadline = setTimeout(() => {
    log(`time budget of ${Math.round(budgetMs / 1000)} s exceeded; stopping`);
    abort.abort();
    setTimeout(() => process.exit(1), 20_000).unref();
  }, budgetMs);
  deadline.unref();

  const nodeArgs: string[] = [...options.serverNodeArgs];
  if (options.profileDir) {
    await mkdir(options.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  }
  if (options.build === 'dist') await buildServers(repoRoot, log);
  const startedAt = new Date().toISOString();
  const report: BenchReport = { ours: {}, reference: {}, persisted: {} };
  const t0 = performance.now();
  try {
    for (const name of options.targets) {
      if (abort.signal.aborted) break;
      log(
        `starting ${name}: redis${name === 'reference' ? '' : ', embedded mongo'} and ${options.nodes} node(s)`,
      );
      current =
        name === 'ours'
          ? await startOurs({
              nodes: options.nodes,
              repoRoot,
              log,
              nodeArgs,
              build: options.build,
              gatewayEnv: options.gatewayEnv,
            })
          : await startReference({
              persisted: name === 'persisted',
              nodes: options.nodes,
              repoRoot,
              log,
              nodeArgs,
              build: options.build,
            });
      try {
        report[name] = await runTarget(current, options, abort.signal);
      } finally {
        log(`stopping ${name}`);
        await current.stop();
        current = undefined;
      }
    }
  } finally {
    clearTimeout(deadline);
    await current?.stop();
  }
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: process.platform,
  };
  const file = await writeResult(options.outDir, 'bench', {
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    options,
    machine,
    ...report,
  });
  const details = [
    report.reference.oneToOne,
    report.persisted.oneToOne,
    report.ours.oneToOne,
    report.reference.fanOut,
    report.persisted.fanOut,
    report.ours.fanOut,
  ]
    .filter((r) => r !== undefined)
    .map(renderSteps);
  process.stdout.write(
    `\n${details.join('\n\n')}\n\n${renderSummary(report, options.lightRate)}\n\nJSON: ${file} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
  );
  return abort.signal.aborted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
