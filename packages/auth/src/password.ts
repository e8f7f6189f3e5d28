import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt N=2^14, r=8, p=1 (OWASP minimum for scrypt): ~16 MiB and tens of ms per hash,
// run on libuv's threadpool so the event loop stays free.
const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Upper bounds when parsing stored hashes, so a corrupted record cannot demand gigabytes. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function scrypt(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** 256 × N × r bytes plus headroom; Node's default maxmem (32 MiB) is too tight above N=2^14. */
function maxmem(n: number, r: number): number {
  return 128 * n * r * 2 + 1024 * 1024;
}

// NFKC so the same password typed on different keyboards/OSes hashes the same.
const normalize = (password: string): string => password.normalize('NFKC');

/** Hash encoded as `scrypt$N$r$p$<salt base64url>$<hash base64url>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(normalize(password), salt, KEY_BYTES, {
    N,
    r: R,
    p: P,
    maxmem: maxmem(N, R),
  });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time comparison; false (never a throw) for a wrong password or a malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const { n, r, p, salt, hash } = parsed;
  const actual = await scrypt(normalize(password), salt, hash.length, {
    N: n,
    r,
    p,
    maxmem: maxmem(n, r),
  });
  return actual.length === hash.length && timingSafeEqual(actual, hash);
}

let dummyHash: Promise<string> | undefined;

/**
 * Costs the same as verifying a wrong password; call it when the username does not exist
 * so login time does not reveal which usernames are registered. Always resolves false.
 */
export async function dummyVerify(password = ''): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}

function parse(
  stored: string,
): { n: number; r: number; p: number; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const valid =
    Number.isInteger(n) &&
    n > 1 &&
    n <= MAX_N &&
    (n & (n - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_P;
  if (!valid) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return undefined;
  return { n, r, p, salt, hash };
}
