/**
 * `pnpm --filter @chat/bench run adapter-bench [--pairs 40] [--messages 1600] [--nodes 4]`
 * The classic against the sharded Socket.IO adapter, on one Redis and on a Redis
 * Cluster (3 masters + 3 replicas), with N real gateways, the worker and the embedded Mongo.
 * Users talk in 1:1 pairs whose two sockets sit on different nodes. Per message it reports:
 * Redis egress bytes (INFO stats total_net_output_bytes, summed over every redis-server),
 * Redis CPU (the redis-server processes, /proc), and the adapter packets the gateways
 * received (their chat_adapter_packets_received_total) against the one per message that has
 * a socket to go to. JSON in bench-results/adapter-<time>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { readProcessCpuMicros } from './stats.js';
import type { TargetSocket } from './target.js';
import { startOurs } from './targets/ours.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const log = (line: string): void => {
  process.stderr.write(`[adapter-bench] ${line}\n`);
};

interface Variant {
  name: string;
  adapter: 'classic' | 'sharded';
  cluster: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'one Redis, classic', adapter: 'classic', cluster: false },
  { name: 'one Redis, sharded', adapter: 'sharded', cluster: false },
  { name: 'cluster, classic', adapter: 'classic', cluster: true },
  { name: 'cluster, sharded', adapter: 'sharded', cluster: true },
];

export interface AdapterResult {
  variant: string;
  nodes: number;
  messages: number;
  redisEgressBytesPerMsg: number;
  /** …of it what masters streamed to their replicas (the same for both adapters' writes). */
  replicationBytesPerMsg: number;
  redisCpuMicrosPerMsg: number;
  /** Pub/sub bytes Redis sent the gateways' adapter subscribers, per message. */
  adapterBytesPerMsg: number;
  /** Adapter packets all gateways received, per message sent. */
  packetsPerMsg: number;
  /** …of which went to a node with no socket for them (the one recipient node is useful). */
  packetsWithoutSocketPerMsg: number;
  /** Adapter packets received per node per message, by node. */
  packetsPerNodePerMsg: number[];
}

/** Bytes every redis-server sent so far: in total, and of it to its replicas. */
async function egressBytes(ports: readonly number[]): Promise<{ total: number; repl: number }> {
  const values = await Promise.all(
    ports.map(async (port) => {
      const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const info = await redis.info('stats');
        const stat = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
        return { total: stat('total_net_output_bytes'), repl: stat('total_net_repl_output_bytes') };
      } finally {
        redis.disconnect();
      }
    }),
  );
  return values.reduce((a, b) => ({ total: a.total + b.total, repl: a.repl + b.repl }), {
    total: 0,
    repl: 0,
  });
}

async function redisCpu(pids: readonly number[]): Promise<number> {
  const values = await Promise.all(pids.map((pid) => readProcessCpuMicros(pid)));
  return values.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** [packets, bytes] the adapter subscriber of each node received so far. */
async function adapterPackets(nodeUrls: readonly string[]): Promise<Array<[number, number]>> {
  const sum = (text: string, name: string) => {
    let total = 0;
    for (const m of text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm')))
      total += Number(m[1]);
    return total;
  };
  return Promise.all(
    nodeUrls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return [
        sum(text, 'chat_adapter_packets_received_total'),
        sum(text, 'chat_adapter_bytes_received_total'),
      ] as [number, number];
    }),
  );
}

/** Sends `messages` in waves of one per pair every `waveMs`, and waits for every delivery. */
async function drive(
  sockets: TargetSocket[],
  pairs: Array<[string, string]>,
  messages: number,
  waveMs: number,
  delivered: { count: number },
): Promise<void> {
  const target = delivered.count + messages;
  let sent = 0;
  for (let wave = 0; sent < messages; wave++) {
    for (let p = 0; p < pairs.length && sent < messages; p++, sent++) {
      // Alternate the direction, so both nodes of a pair send.
      const from = sockets[2 * p + (wave % 2)];
      from?.send(pairs[p]?.[0] ?? '', `w${wave}-${p}-${Date.now()}`, `hello ${wave}`);
    }
    await new Promise((r) => setTimeout(r, waveMs));
  }
  const deadline = Date.now() + 30_000;
  while (delivered.count < target) {
    if (Date.now() > deadline) throw new Error(`only ${delivered.count}/${target} delivered`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runVariant(
  variant: Variant,
  opts: { nodes: number; pairs: number; messages: number; waveMs: number },
): Promise<AdapterResult> {
  log(`${variant.name}: starting ${opts.nodes} gateways`);
  const target = await startOurs({
    nodes: opts.nodes,
    repoRoot,
    log,
    build: 'source',
    redisCluster: variant.cluster,
    gatewayEnv: { REDIS_ADAPTER: variant.adapter },
  });
  try {
    const n = opts.nodes;
    const prepared = await target.prepare({
      users: opts.pairs * 2,
      // Pair k: node k mod n and the next one: every message crosses nodes.
      nodeOf: (i) => (Math.floor(i / 2) + (i % 2)) % n,
      directs: Array.from({ length: opts.pairs }, (_, k) => [2 * k, 2 * k + 1] as const),
      groups: [],
    });
    const sockets = await Promise.all(prepared.users.map((u) => target.connect(u)));
    const delivered = { count: 0 };
    for (const s of sockets) s.onMessage(() => (delivered.count += 1));
    const pairs = prepared.directIds.map((id) => [id, id] as [string, string]);
    await drive(sockets, pairs, opts.pairs * 2, opts.waveMs, delivered); // warm-up
    const ports = target.cluster.redisNodes.map((r) => r.port);
    const pids = target.cluster.redisNodes.map((r) => r.pid);
    const urls = target.cluster.gateways.map((g) => g.url);
    const [bytes0, cpu0, packets0] = await Promise.all([
      egressBytes(ports),
      redisCpu(pids),
      adapterPackets(urls),
    ]);
    await drive(sockets, pairs, opts.messages, opts.waveMs, delivered);
    const [bytes1, cpu1, packets1] = await Promise.all([
      egressBytes(ports),
      redisCpu(pids),
      adapterPackets(urls),
    ]);
    for (const s of sockets) s.close();
    const perNode = packets1.map(([p], i) => (p - (packets0[i]?.[0] ?? 0)) / opts.messages);
    const adapterBytes = packets1.reduce((a, [, b], i) => a + b - (packets0[i]?.[1] ?? 0), 0);
    const packetsPerMsg = perNode.reduce((a, b) => a + b, 0);
    return {
      variant: variant.name,
      nodes: n,
      messages: opts.messages,
      redisEgressBytesPerMsg: Math.round((bytes1.total - bytes0.total) / opts.messages),
      replicationBytesPerMsg: Math.round((bytes1.repl - bytes0.repl) / opts.messages),
      redisCpuMicrosPerMsg: Math.round((cpu1 - cpu0) / opts.messages),
      adapterBytesPerMsg: Math.round(adapterBytes / opts.messages),
      packetsPerMsg: Number(packetsPerMsg.toFixed(2)),
      packetsWithoutSocketPerMsg: Number((packetsPerMsg - 1).toFixed(2)),
      packetsPerNodePerMsg: perNode.map((p) => Number(p.toFixed(2))),
    };
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      nodes: { type: 'string', default: '4' },
      pairs: { type: 'string', default: '40' },
      messages: { type: 'string', default: '1600' },
      'wave-ms': { type: 'string', default: '100' },
      out: { type: 'string', default: 'bench-results' },
    },
  });
  const opts = {
    nodes: Number(values.nodes),
    pairs: Number(values.pairs),
    messages: Number(values.messages),
    waveMs: Number(values['wave-ms']),
  };
  const results: AdapterResult[] = [];
  for (const variant of VARIANTS) results.push(await runVariant(variant, opts));
  const classic = (cluster: boolean) =>
    results.find((r) => r.variant === (cluster ? 'cluster, classic' : 'one Redis, classic'));
  process.stdout.write(
    '| variant | Redis egress B/msg | …of it to replicas | …of it pub/sub to the adapters | Redis CPU µs/msg | adapter packets/msg | …without a socket | egress vs classic | egress to clients vs classic | pub/sub vs classic |\n|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const r of results) {
    const base = classic(r.variant.startsWith('cluster'));
    const times = (a: number, b: number) => (base ? `${(a / b).toFixed(2)}×` : '');
    const toClients = (x: AdapterResult) => x.redisEgressBytesPerMsg - x.replicationBytesPerMsg;
    process.stdout.write(
      `| ${r.variant} | ${r.redisEgressBytesPerMsg} | ${r.replicationBytesPerMsg} | ${r.adapterBytesPerMsg} | ${r.redisCpuMicrosPerMsg} | ${r.packetsPerMsg} | ${r.packetsWithoutSocketPerMsg} | ${times(base?.redisEgressBytesPerMsg ?? 0, r.redisEgressBytesPerMsg)} | ${base ? times(toClients(base), toClients(r)) : ''} | ${times(base?.adapterBytesPerMsg ?? 0, r.adapterBytesPerMsg)} |\n`,
    );
  }
  const dir = resolve(repoRoot, values.out);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `adapter-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ options: opts, results }, null, 2));
  log(`JSON: ${file}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
