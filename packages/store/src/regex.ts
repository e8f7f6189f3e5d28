/**
 * Escapes every regular-expression metacharacter so user input is matched literally.
 * A literal pattern has no alternation or nested quantifiers, so it cannot backtrack
 * catastrophically (no ReDoS), whatever the user typed.
 */
export function escapeRegex(input: string): string {
  return input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Anchored prefix pattern: with `^` and a lower-cased field MongoDB can use the index bounds. */
export function prefixPattern(prefix: string): string {
  return `^${escapeRegex(prefix)}`;
}

/** Clamps a caller-supplied page size into [1, max]; NaN/undefined → fallback. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return Math.min(fallback, max);
  return Math.max(1, Math.min(max, Math.trunc(limit)));
}
