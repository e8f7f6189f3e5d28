import { defineConfig } from 'vitest/config';

// Packages resolve to their TypeScript source through the "@chat/source" export
// condition, so tests need no build step (STYLE.md, dependency rule 5).
// Not 'import': vitest hands these to Node for externals too, and `--conditions=import`
// would make CommonJS require() pick ESM wrappers (engine.io then loads ws/wrapper.mjs).
const conditions = ['@chat/source', 'module', 'node', 'development|production'];

// Integration files start real servers (redis-server, nginx, several gateways);
// on a 2-core machine they run one file at a time, unit files run in parallel.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@chat/source'] } },
  test: {
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.ci/out/vitest.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services,infra}/*/{src,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{packages,services,infra}/*/{src,test}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          setupFiles: ['packages/testkit/src/failure-logs.setup.ts'],
          // In CI a failing integration test runs once more and fails only if it fails again
          // (vitest reports the retry); a flake found that way still needs its root cause. The
          // web e2e story opts out: its steps build on each other, so a retried step would start
          // from a state it was not written for. Locally nothing is retried.
          retry: process.env.CI ? 1 : 0,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
