import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The client's IP for limits, with the same trust rule fastify's `trustProxy` uses:
 * X-Forwarded-For is believed only hop by hop from addresses in TRUST_PROXY, so a client
 * that forges the header from anywhere else is still counted under its own address.
 */
export function createClientIp(trustProxy: readonly string[]): (req: IncomingMessage) => string {
  const trust = proxyAddr.compile([...trustProxy]);
  return (req) => {
    try {
      return proxyAddr(req, trust);
    } catch {
      // A socket closed mid-handshake has no address any more; one shared bucket is fine.
      return 'unknown';
    }
  };
}
