import type { IncomingHttpHeaders } from 'node:http';

export type OriginCheck = (headers: IncomingHttpHeaders) => boolean;

/**
 * CORS_ORIGINS as a predicate. No Origin (native apps, bots, curl) and same-origin requests
 * (Origin's host equals Host, as through the load balancer) are allowed; otherwise the
 * origin must be listed exactly (scheme://host[:port]), or the list holds `*`.
 */
export function createOriginCheck(allowed: readonly string[]): OriginCheck {
  const any = allowed.includes('*');
  const listed = new Set(allowed.filter((o) => o !== '*').map(normalize));
  return (headers) => {
    const origin = headers.origin;
    if (origin === undefined) return true;
    if (any) return true;
    const normalized = normalize(origin);
    if (listed.has(normalized)) return true;
    return sameOrigin(normalized, headers);
  };
}

function normalize(origin: string): string {
  try {
    const url = new URL(origin);
    // `null` (sandboxed frames, file://) has no host and is never same-origin.
    return url.host ? `${url.protocol}//${url.host}` : 'null';
  } catch {
    return 'null';
  }
}

/**
 * nginx's `proxy_set_header Host $host` drops the port, so a Host without a port is
 * compared by hostname only; with a port, host and port must both match.
 */
function sameOrigin(origin: string, headers: IncomingHttpHeaders): boolean {
  if (origin === 'null') return false;
  const host = headers.host?.toLowerCase();
  if (host === undefined || host === '') return false;
  const url = new URL(origin);
  return hasPort(host) ? url.host === host : url.hostname === host;
}

function hasPort(host: string): boolean {
  // `[::1]:8080` and `a.b:8080` have one; a bare `[::1]` or `a.b` does not.
  return /:\d+$/.test(host) && !/^[^[]*:[^:]*:/.test(host);
}
