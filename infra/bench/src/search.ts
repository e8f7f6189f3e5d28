/** One finished step of a rate search. */
export interface SearchPoint {
  rate: number;
  passed: boolean;
}

export interface SearchOptions {
  startRate: number;
  /** No step above this rate is tried. */
  maxRate: number;
  /** Steps tried between the last pass and the first failure once one step failed. */
  bisectSteps: number;
  /** Stop bisecting once the bracket is narrower than this share of the passing rate. @default 0.05 */
  resolution?: number;
}

/**
 * The open-loop stepped search: the offered rate doubles until a step fails, then the
 * bracket between the best pass and the lowest failure is bisected `bisectSteps` times.
 * Returns the next rate to try, or undefined when the search is over.
 */
export function nextRate(
  points: readonly SearchPoint[],
  options: SearchOptions,
): number | undefined {
  const { startRate, maxRate, bisectSteps } = options;
  const resolution = options.resolution ?? 0.05;
  if (points.length === 0) return Math.min(startRate, maxRate);
  const failures = points.filter((p) => !p.passed);
  if (failures.length === 0) {
    const last = points[points.length - 1] as SearchPoint;
    if (last.rate >= maxRate) return undefined;
    return Math.min(last.rate * 2, maxRate);
  }
  const lowestFail = Math.min(...failures.map((p) => p.rate));
  const passesBelow = points.filter((p) => p.passed && p.rate < lowestFail).map((p) => p.rate);
  const bestPass = passesBelow.length > 0 ? Math.max(...passesBelow) : 0;
  const firstFailIndex = points.findIndex((p) => !p.passed);
  const bisected = points.length - 1 - firstFailIndex;
  if (bisected >= bisectSteps) return undefined;
  const gap = lowestFail - bestPass;
  if (gap <= Math.max(1, bestPass * resolution)) return undefined;
  const mid = Math.round((bestPass + lowestFail) / 2);
  return mid >= 1 && mid !== bestPass && mid !== lowestFail ? mid : undefined;
}

/** The highest passing rate, or undefined when nothing passed. */
export function bestPassing<T extends SearchPoint>(points: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const p of points) if (p.passed && (!best || p.rate > best.rate)) best = p;
  return best;
}
