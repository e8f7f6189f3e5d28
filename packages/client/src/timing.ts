/** Exponential backoff with full jitter: random in [0, min(maxMs, baseMs·2^attempt)]. */
export function backoffMs(attempt: number, baseMs = 500, maxMs = 10_000): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
