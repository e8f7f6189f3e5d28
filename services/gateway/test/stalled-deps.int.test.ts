import { waitFor } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestCluster } from './fixtures/cluster.js';

/**
 * A Redis that stops answering (SIGSTOP), not one that refuses connections, is the hard
 * case: only the ioredis command timeout turns it into UNAVAILABLE, and the limits must
 * fail closed rather than wave requests through.
 */

const cluster = useTestCluster({ nodes: 1 });

beforeAll(async () => {
  // The metrics fan-out probe (observability/instrument.ts) publishes every 5 s through the
  // adapter, whose publish promise nobody handles: a frozen Redis turns it into an unhandled
  // rejection (reported). Silenced here so this suite tests the limits, not that.
  cluster.nodes[0]!.gateway.io.serverSideEmit = () => true;
});
afterAll(async () => {
  try {
    process.kill(cluster.redis.pid, 'SIGCONT');
  } catch {
    // already gone
  }
});

async function login(): Promise<{ status: number; code?: string; ms: number }> {
  const start = performance.now();
  const res = await fetch(`${cluster.nodes[0]!.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'nobody', password: 'whatever-pass' }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return {
    status: res.status,
    ms: performance.now() - start,
    ...(body.error ? { code: body.error.code } : {}),
  };
}

describe('a frozen Redis', () => {
  it(
    'login (rate-limited) → 503 UNAVAILABLE within the command timeouts, never a pass; then recovers',
    { timeout: 40_000 },
    async () => {
      // Healthy first; on a loaded box the node's first requests may still be warming up.
      await waitFor(async () => (await login()).status === 401, { timeout: 15_000 });
      process.kill(cluster.redis.pid, 'SIGSTOP');
      try {
        const stalled = await login();
        expect(stalled).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
        // Two sequential Redis round trips at ≤ 5 s each: the per-IP limit (falls back to
        // memory) and the login limit (fails closed).
        expect(stalled.ms).toBeLessThan(12_000);
      } finally {
        process.kill(cluster.redis.pid, 'SIGCONT');
      }
      await waitFor(async () => (await login()).status === 401, { timeout: 15_000 });
    },
  );
});
