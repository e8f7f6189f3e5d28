#!/usr/bin/env node
// Entry point of `npm start`, `npm test`, `npm run check`, `npm run service-token` and
// `npm run bench`. It runs with nothing but Node and npm: it installs the system packages and the
// pnpm workspace the real commands need, then hands over to them. Plain JS on
// purpose: TypeScript tooling does not exist yet when this starts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  readFileSync,
  writeFileSync,
  mkdirSync,
  rmSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECK_STEPS } from '../ci/checks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM_VERSION = '10.34.9';
const MIN_NODE = [20, 19];

/** Debian packages each command needs, keyed by the binary that proves they are there. */
const SYSTEM_PACKAGES = {
  start: { 'redis-server': 'redis-server', nginx: 'nginx' },
  // The emoji font only matters for the browser tests' screenshots (empty boxes without it).
  test: {
    'redis-server': 'redis-server',
    nginx: 'nginx',
    chromium: 'chromium',
    '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf': 'fonts-noto-color-emoji',
  },
  bench: { 'redis-server': 'redis-server', nginx: 'nginx' },
  'service-token': {},
  pnpm: {},
};
SYSTEM_PACKAGES.check = SYSTEM_PACKAGES.test;

/**
 * better-sqlite3 (the embedded MongoDB's durable mode) downloads a prebuilt binary from
 * GitHub and compiles from source where it cannot (no internet but the npm registry, as on
 * CI machines). The compilers are installed along where apt can do it; elsewhere the prebuilt
 * download is expected to work, so their absence is not an error.
 */
const BUILD_TOOLS = { make: 'make', 'g++': 'g++', python3: 'python3' };
const NEEDS_BUILD_TOOLS = new Set(['start', 'test', 'check', 'bench']);

/**
 * What each command runs: `node` entries run as the direct child of this process (no npx,
 * pnpm or tsx wrapper in between), so a Ctrl-C reaches the runner once and its exit code
 * comes back unchanged; `pnpm` entries go through pnpm.
 */
const COMMANDS = {
  start: { node: 'infra/local/src/main.ts' },
  test: { pnpm: ['exec', 'vitest', 'run'] },
  'service-token': { node: 'infra/local/src/service-token.ts' },
  bench: { pnpm: ['--filter', '@chat/bench', 'run', 'bench'] },
  // Exactly the steps of .ci/run (both read infra/ci/checks.mjs). `--keep-going` (CI) runs
  // every step and fails at the end, so a lint slip never hides the test results.
  check: { steps: CHECK_STEPS },
  // `npm run pnpm -- <args>`: any pnpm command on a machine without a global pnpm.
  pnpm: { pnpm: [] },
};

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    fail(`Node ${MIN_NODE.join('.')} or newer is required (this is ${process.versions.node}).`);
  }
}

function findBinary(name) {
  if (name.startsWith('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function ensureSystemPackages(command) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canApt = isRoot && Boolean(findBinary('apt-get'));
  const wanted = {
    ...(SYSTEM_PACKAGES[command] ?? {}),
    ...(canApt && NEEDS_BUILD_TOOLS.has(command) ? BUILD_TOOLS : {}),
  };
  const missing = Object.entries(wanted)
    .filter(([binary]) => !findBinary(binary))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (!canApt) {
    fail(
      `missing system packages: please install ${missing.join(' ')} (e.g. sudo apt-get install -y ${missing.join(' ')}), then run again.`,
    );
  }
  log(`installing system packages: ${missing.join(' ')}`);
  // Debian's maintainer scripts would otherwise start nginx/redis as system services
  // on their default ports; we only want the binaries.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (update.status !== 0) fail('apt-get update failed');
    const install = spawnSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', ...missing],
      { stdio: 'inherit', env },
    );
    if (install.status !== 0) fail(`apt-get install ${missing.join(' ')} failed`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

/** Returns argv prefix that runs pnpm: a global pnpm 10, else one fetched through npx. */
function resolvePnpm() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm'];
  // corepack fails its signature check on these machines, so fetch pnpm from npm.
  log(`pnpm ${PNPM_VERSION} not found; using npx pnpm@${PNPM_VERSION}`);
  return ['npx', '-y', `pnpm@${PNPM_VERSION}`];
}

function run(argv, options = {}) {
  const [cmd, ...args] = argv;
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  return result.status ?? 1;
}

function ensureDependencies(pnpm) {
  const lock = join(root, 'pnpm-lock.yaml');
  const manifests = [lock, join(root, 'package.json')]
    .filter(existsSync)
    .map((f) => readFileSync(f));
  const digest = createHash('sha256').update(Buffer.concat(manifests)).digest('hex');
  const stamp = join(root, 'node_modules', '.chat-install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  log('installing npm dependencies (pnpm install)');
  const status = run([...pnpm, 'install', '--frozen-lockfile']);
  if (status !== 0) fail('pnpm install failed');
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, digest);
}

/**
 * Newest modification time of `path`: the file itself, or any file below it when it is a
 * directory (0 when it does not exist). ensureWebBuild asks about both kinds
 * (`src/` and `index.html`); a directory-only walk crashed every second `npm start`.
 */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** The gateways serve the web UI from packages/web/dist: build it when missing or stale. */
function ensureWebBuild(pnpm) {
  const web = join(root, 'packages', 'web');
  const built = join(web, 'dist', 'index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (
    builtAt > 0 &&
    builtAt >= Math.max(newestMtime(join(web, 'src')), newestMtime(join(web, 'index.html')))
  )
    return;
  log('building the web UI (packages/web)');
  if (run([...pnpm, '--filter', '@chat/web', 'run', 'build']) !== 0) fail('web UI build failed');
}

function runSteps(pnpm, steps, { nodeOptions, keepGoing }) {
  const failed = [];
  for (const step of steps) {
    log(`${step.name}: pnpm ${step.pnpm.join(' ')}`);
    // tsc, eslint, madge and knip only read files; the tests run workspace code.
    const env = step.workspaceCode ? { ...process.env, NODE_OPTIONS: nodeOptions } : process.env;
    if (run([...pnpm, ...step.pnpm], { env }) === 0) continue;
    if (!keepGoing) fail(`check failed at: ${step.name} (pnpm ${step.pnpm.join(' ')})`);
    failed.push(step.name);
  }
  if (failed.length > 0) fail(`checks failed: ${failed.join(', ')}`);
  log('check passed');
  process.exit(0);
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || !(command in COMMANDS))
    fail(`usage: bootstrap.mjs <${Object.keys(COMMANDS).join('|')}> [args]`);
  checkNode();
  ensureSystemPackages(command);
  const pnpm = resolvePnpm();
  if (command === 'pnpm') process.exit(run([...pnpm, ...rest]));
  ensureDependencies(pnpm);
  if (command === 'start') ensureWebBuild(pnpm);

  // Every process below resolves workspace packages to their TypeScript source.
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', '--conditions=@chat/source']
    .join(' ')
    .trim();
  const entry = COMMANDS[command];
  if (entry.steps) {
    // `--static`: every step but the tests (CI runs those first, as `npm test`).
    const steps = rest.includes('--static')
      ? entry.steps.filter((step) => step.name !== 'tests')
      : entry.steps;
    runSteps(pnpm, steps, { nodeOptions, keepGoing: rest.includes('--keep-going') });
  }
  const [cmd, ...args] = entry.node
    ? [process.execPath, '--import', 'tsx', entry.node, ...rest]
    : [...pnpm, ...entry.pnpm, ...rest];
  const child = spawn(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
