// The one list of checks: `npm run check` (infra/local/bootstrap.mjs) runs them all; CI (.ci/run)
// runs `npm test` and then `npm run check -- --static --keep-going`: the same steps.
// Plain JS: it is imported by the bootstrap, which runs before TypeScript tooling exists.

/**
 * Each step is a pnpm argv. Static checks come first (they fail in seconds, the tests take
 * minutes); `workspaceCode` marks the steps that execute workspace TypeScript and so need the
 * `@chat/source` export condition.
 */
export const CHECK_STEPS = [
  { name: 'typecheck', pnpm: ['run', 'typecheck'] },
  { name: 'web typecheck', pnpm: ['--filter', '@chat/web', 'run', 'typecheck'] },
  { name: 'lint', pnpm: ['run', 'lint'] },
  { name: 'format', pnpm: ['run', 'format:check'] },
  { name: 'cycles', pnpm: ['run', 'cycles'] },
  { name: 'dead exports', pnpm: ['run', 'deadcode'] },
  { name: 'repo-local references', pnpm: ['run', 'refs'] },
  { name: 'tests', pnpm: ['exec', 'vitest', 'run'], workspaceCode: true },
];
