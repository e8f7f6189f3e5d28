/**
 * Log lines of in-process servers, kept for the test that is running and printed only if it
 * fails (failure-logs.setup.ts): a passing suite stays quiet, and a failure in CI, where
 * nothing else survives the run, comes with the warnings that explain it.
 */
const KEPT_LINES = 400;
const KEY = Symbol.for('@chat/testkit.failure-logs');

function lines(): string[] {
  const global = globalThis as { [KEY]?: string[] };
  return (global[KEY] ??= []);
}

/** A pino destination. */
export const failureLogStream = {
  write(line: string): void {
    const kept = lines();
    kept.push(line);
    if (kept.length > KEPT_LINES) kept.splice(0, kept.length - KEPT_LINES);
  },
};

/** The lines kept since the last call, oldest first. */
export function takeFailureLogs(): string[] {
  return lines().splice(0);
}
