import { createHash } from 'node:crypto';
import { isCluster, type RedisClient } from './clients.js';

/**
 * For tests that run a package's Lua scripts on a real Redis Cluster: the names of the
 * scripts no master has loaded (ioredis runs EVALSHA and loads a script on NOSCRIPT, so a
 * script that ran through the package's code is loaded on the master of its slot).
 */
export async function scriptsNotLoaded(
  client: RedisClient,
  scripts: Readonly<Record<string, string>>,
): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  const sha = (lua: string) => createHash('sha1').update(lua).digest('hex');
  const missing: string[] = [];
  for (const [name, lua] of Object.entries(scripts)) {
    const loaded = await Promise.all(
      nodes.map((node) => node.script('EXISTS', sha(lua)) as Promise<number[]>),
    );
    if (!loaded.some(([one]) => one === 1)) missing.push(name);
  }
  return missing;
}
