import { describe, expect, it } from 'vitest';
import { dummyVerify, hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('round-trips and rejects a wrong password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same-password'),
      hashPassword('same-password'),
    ]);
    expect(a).not.toBe(b);
  });

  it('normalizes unicode so composed and decomposed forms match', async () => {
    const stored = await hashPassword('caf\u00e9-password');
    await expect(verifyPassword('cafe\u0301-password', stored)).resolves.toBe(true);
  });

  it('returns false for malformed or hostile stored values', async () => {
    for (const stored of [
      '',
      'plain',
      'bcrypt$1$2$3$4$5',
      'scrypt$16384$8$1$$',
      'scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      await expect(verifyPassword('x', stored)).resolves.toBe(false);
    }
  });

  it('dummyVerify resolves false and costs about as much as a real verify', async () => {
    const stored = await hashPassword('real-password');
    await dummyVerify('warm-up'); // first call also derives the dummy hash
    let real = 0;
    let dummy = 0;
    for (let i = 0; i < 4; i++) {
      let t = performance.now();
      await verifyPassword('wrong-password', stored);
      real += performance.now() - t;
      t = performance.now();
      await expect(dummyVerify('wrong-password')).resolves.toBe(false);
      dummy += performance.now() - t;
    }
    // Generous bounds: the point is "one full scrypt", not a no-op, on a busy CI machine.
    expect(dummy).toBeGreaterThan(real * 0.3);
    expect(dummy).toBeLessThan(real * 3);
  });
});
