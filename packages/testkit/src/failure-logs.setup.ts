import { beforeEach } from 'vitest';
import { takeFailureLogs } from './failure-logs.js';

// Each test starts with an empty log; a failed attempt prints what the servers warned about.
beforeEach(({ onTestFailed, task }) => {
  takeFailureLogs();
  onTestFailed(() => {
    const kept = takeFailureLogs();
    if (kept.length === 0) return;
    process.stdout.write(
      `\n--- server warnings during "${task.name}" (${kept.length} lines) ---\n${kept.join('')}--- end ---\n`,
    );
  });
});
