/**
 * `pnpm bench [--scenario one-to-one] [--duration 5] [--clients 200] [--nodes 2] [--rates 50,100,200,500,1000,2000] [--out bench-results]`
 * Starts its own cluster on loopback, runs the scenario, prints a table, writes JSON, stops everything.
 */
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster, type BenchCluster } from './cluster.js';
import { renderOneToOne, writeResult } from './report.js';
import { runOneToOne } from './scenarios/one-to-one.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'one-to-one' },
      duration: { type: 'string', default: '5' },
      clients: { type: 'string', default: '200' },
      nodes: { type: 'string', default: '2' },
      rates: { type: 'string', default: '50,100,200,500,1000,2000' },
      drain: { type: 'string', default: '3' },
      out: { type: 'string', default: 'bench-results' },
    },
    strict: true,
  });
  const int = (name: string, raw: string, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
    return value;
  };
  if (values.scenario !== 'one-to-one') throw new Error(`unknown --scenario "${values.scenario}" (known: one-to-one)`);
  const rates = values.rates.split(',').map((r) => int('rates', r.trim(), 1, 100_000));
  return {
    scenario: values.scenario,
    stepSeconds: int('duration', values.duration, 1, 120),
    clients: int('clients', values.clients, 2, 20_000),
    nodes: int('nodes', values.nodes, 1, 16),
    rates,
    drainSeconds: int('drain', values.drain, 0, 60),
    // pnpm runs the script inside infra/bench; INIT_CWD is where the user typed the command.
    outDir: resolve(process.env.INIT_CWD ?? process.cwd(), values.out),
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  const abort = new AbortController();
  let cluster: BenchCluster | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    log(`${signal}: stopping${signals > 1 ? ' now' : ' (again to force)'}`);
    abort.abort();
    // spawnManaged's exit handler SIGKILLs every child when we exit.
    if (signals > 1) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Bounded in time whatever happens: setup + every step with its drain + shutdown.
  const budgetMs = 120_000 + options.rates.length * (options.stepSeconds + options.drainSeconds + 5) * 1000 + 5_000;
  const deadline = setTimeout(() => {
    log(`time budget of ${Math.round(budgetMs / 1000)} s exceeded; stopping`);
    abort.abort();
    setTimeout(() => process.exit(1), 15_000).unref();
  }, budgetMs);
  deadline.unref();

  try {
    log(`starting redis, embedded mongo and ${options.nodes} gateway node(s)`);
    cluster = await startCluster({ nodes: options.nodes, repoRoot, log });
    if (abort.signal.aborted) return 130;
    log(`cluster up: ${cluster.gateways.map((g) => g.url).join(', ')}`);
    const startedAt = new Date().toISOString();
    const result = await runOneToOne(cluster, {
      clients: options.clients,
      rates: options.rates,
      stepSeconds: options.stepSeconds,
      drainMs: options.drainSeconds * 1000,
      log,
      signal: abort.signal,
    });
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: process.platform };
    const file = await writeResult(options.outDir, 'one-to-one', { ...result, startedAt, options, machine });
    process.stdout.write(`\n${renderOneToOne(result)}\n\nJSON: ${file}\n`);
    return abort.signal.aborted ? 130 : 0;
  } finally {
    clearTimeout(deadline);
    log('stopping cluster');
    await cluster?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
