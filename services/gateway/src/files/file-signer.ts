import { createHmac, timingSafeEqual } from 'node:crypto';

export interface FileSignerOptions {
  secret: Buffer;
  /** How long a URL stays valid. */
  ttlMs: number;
  /** @default Date.now */
  now?: () => number;
}

/** Expiries are rounded up to this step so a file's URL stays the same for a while (browser cache). */
const EXP_STEP_SECONDS = 60;

export interface FileSigner {
  /** `/files/<id>/<name>?exp=<unix seconds>&sig=<base64url HMAC>` */
  url(id: string, name: string): string;
  /** Constant-time check of the signature, then of the expiry. */
  verify(id: string, name: string, exp: string, sig: string): boolean;
}

/** HMAC-SHA256 over `id|name|exp` (the id is fixed-length hex and exp is digits, so the join is unambiguous). */
export function createFileSigner(options: FileSignerOptions): FileSigner {
  const now = options.now ?? Date.now;
  const mac = (id: string, name: string, exp: string): Buffer =>
    createHmac('sha256', options.secret).update(`${id}|${name}|${exp}`, 'utf8').digest();

  return {
    url(id, name) {
      const exp = String(
        Math.ceil((now() + options.ttlMs) / 1000 / EXP_STEP_SECONDS) * EXP_STEP_SECONDS,
      );
      const sig = mac(id, name, exp).toString('base64url');
      return `/files/${id}/${encodeURIComponent(name)}?exp=${exp}&sig=${sig}`;
    },
    verify(id, name, exp, sig) {
      if (!/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
      const expected = mac(id, name, exp);
      const given = Buffer.from(sig, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      return Number(exp) * 1000 > now();
    },
  };
}
