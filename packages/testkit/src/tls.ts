import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface CertificatePair {
  /** PEM certificate (also what a client trusts: it is self-signed). */
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

/**
 * A self-signed certificate for `127.0.0.1` and `localhost` (openssl CLI), written to
 * `dir/tls.crt` and `dir/tls.key`, the names nginx.conf expects in its mounted cert dir.
 * For local runs and tests only: browsers warn about it, clients must trust `cert`.
 */
export async function generateSelfSignedCert(
  dir: string,
  options: { days?: number; openssl?: string } = {},
): Promise<CertificatePair> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await promisify(execFile)(options.openssl ?? 'openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    String(options.days ?? 30),
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, cert: await readFile(certFile) };
}
