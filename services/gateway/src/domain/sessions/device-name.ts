import { LIMITS } from '@chat/protocol';

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iOS/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/**
 * The name a session is listed under when the client named none: "Firefox on Linux" from the
 * User-Agent, else the client's own name for itself, else "Unknown device". Only ever shown to
 * the account's owner, so a lying User-Agent fools no one but its sender.
 */
export function deviceNameOf(given: string | undefined, userAgent: string | undefined): string {
  const trimmed = given?.trim();
  if (trimmed) return trimmed.slice(0, LIMITS.deviceNameMaxChars);
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser ?? system) return (browser ?? system)!;
  // e.g. "node", "undici", "curl/8.5": the product token.
  const product = /^[\w.-]+/.exec(userAgent)?.[0];
  return product ? product.slice(0, LIMITS.deviceNameMaxChars) : 'Unknown device';
}
