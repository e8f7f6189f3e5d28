// Prints the closing "N passed, N failed[, N skipped]" line from vitest's JSON report.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.ci/out/vitest.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${file}: the test run did not finish`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const brokenFiles = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0,
).length;
console.log(
  `${passed} passed, ${failed + brokenFiles} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed + brokenFiles > 0 || passed === 0 ? 1 : 0);
