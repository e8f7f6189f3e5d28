import { describe, expect, it } from 'vitest';
import { parseRunnerArgs } from '../src/args.js';

describe('parseRunnerArgs', () => {
  const root = '/repo';
  it.each([
    { argv: [], env: {}, nodes: 3, port: 8080 },
    { argv: [], env: { NODES: '5', PORT: '9000' }, nodes: 5, port: 9000 },
    { argv: ['--nodes', '4', '--port', '9100'], env: { NODES: '5' }, nodes: 4, port: 9100 },
    { argv: ['--', '--nodes=2', '--port=7000'], env: {}, nodes: 2, port: 7000 },
  ])('$argv with $env → $nodes nodes on $port', ({ argv, env, nodes, port }) => {
    const options = parseRunnerArgs(argv, env, root);
    expect(options).toEqual({
      nodes,
      port,
      runDir: '/repo/.run',
      mongoDb: 'chat',
      dataDir: '/repo/.run/data',
      redisCluster: false,
      tls: false,
    });
  });

  it('takes --redis-cluster and --tls', () => {
    expect(parseRunnerArgs(['--redis-cluster', '--tls'], {}, root)).toMatchObject({
      redisCluster: true,
      tls: true,
    });
  });

  it('takes RUN_DIR and MONGO_DB from the environment', () => {
    expect(parseRunnerArgs([], { RUN_DIR: '/tmp/x', MONGO_DB: 'db' }, root)).toMatchObject({
      runDir: '/tmp/x',
      mongoDb: 'db',
    });
  });

  it('keeps data in $RUN_DIR/data, --data-dir or DATA_DIR (relative to the repo), or nowhere with --ephemeral', () => {
    expect(parseRunnerArgs([], { RUN_DIR: '/tmp/x' }, root).dataDir).toBe('/tmp/x/data');
    expect(parseRunnerArgs(['--data-dir', 'keep'], {}, root).dataDir).toBe('/repo/keep');
    expect(parseRunnerArgs([], { DATA_DIR: '/srv/chat' }, root).dataDir).toBe('/srv/chat');
    expect(parseRunnerArgs(['--', '--ephemeral'], {}, root).dataDir).toBeUndefined();
  });

  it.each([
    [['--ephemeral', '--data-dir', 'x']],
    [['--nodes', '0']],
    [['--nodes', 'two']],
    [['--port', '70000']],
    [['--port']],
    [['--verbose']],
  ])('rejects %j', (argv) => {
    expect(() => parseRunnerArgs(argv, {}, root)).toThrow();
  });
});
