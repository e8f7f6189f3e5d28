/**
 * Commands served since the process started, by name: what serverStatus reports as
 * `metrics.commands.<name>.{total,failed}` (MongoDB's own shape), so tools (the bench's
 * commands-per-message column) read the embedded server and a real one alike.
 */
const counts = new Map<string, { total: number; failed: number }>();

export function countCommand(name: string, failed: boolean): void {
  let entry = counts.get(name);
  if (!entry) {
    entry = { total: 0, failed: 0 };
    counts.set(name, entry);
  }
  entry.total += 1;
  if (failed) entry.failed += 1;
}

export function commandMetrics(): Record<string, { total: number; failed: number }> {
  return Object.fromEntries([...counts].map(([name, c]) => [name, { ...c }]));
}
