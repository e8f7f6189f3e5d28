import { request } from 'node:https';
import { join } from 'node:path';
import { generateSelfSignedCert, waitFor, type CertificatePair } from '@chat/testkit';

/**
 * `npm start -- --tls`: a self-signed pair for localhost/127.0.0.1 in `<runDir>/tls`, new on
 * every start (nothing to renew). Browsers warn about it; trust `tls.crt` to avoid that.
 */
export function prepareLocalTls(runDir: string): Promise<CertificatePair> {
  return generateSelfSignedCert(join(runDir, 'tls'));
}

/** Waits until `url` answers 200 over HTTPS, trusting only `ca`. */
export async function waitForHttps(url: string, ca: Buffer, timeout: number): Promise<void> {
  const once = () =>
    new Promise<boolean>((resolve) => {
      const req = request(url, { ca, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  await waitFor(once, { timeout, interval: 200, message: `${url} over HTTPS` });
}
