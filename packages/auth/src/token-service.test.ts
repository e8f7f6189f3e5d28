import { describe, expect, it } from 'vitest';
import { SignJWT, base64url } from 'jose';
import { AppError, createManualClock } from '@chat/core';
import { createTokenService } from './token-service.js';

const secret = 'x'.repeat(48);
const issuer = 'chat-cluster';
const audience = 'chat-clients';
const userId = '65a1b2c3d4e5f60718293a4b';
const key = new TextEncoder().encode(secret);

const service = () => createTokenService({ secret, issuer, audience, accessTokenTtlSeconds: 900 });

async function expectUnauthenticated(promise: Promise<unknown>, message?: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('UNAUTHENTICATED');
  if (message !== undefined) expect((err as AppError).message).toBe(message);
}

function craft(header: object, payload: object, signature = ''): string {
  const enc = (o: object) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

const nowS = () => Math.floor(Date.now() / 1000);

describe('token service', () => {
  it('round-trips an access token', async () => {
    const tokens = service();
    const { token, exp } = await tokens.signAccessToken({ userId, username: 'alice' });
    expect(exp).toBeGreaterThanOrEqual(nowS() + 899);
    await expect(tokens.verify(token)).resolves.toEqual({
      kind: 'user',
      userId,
      username: 'alice',
      exp,
      external: false,
    });
  });

  it('round-trips a service token', async () => {
    const tokens = service();
    const token = await tokens.signServiceToken({ ttlSeconds: 60 });
    const principal = await tokens.verify(token);
    expect(principal.kind).toBe('service');
    expect(principal.exp).toBeLessThanOrEqual(nowS() + 60);
  });

  it('rejects alg none', async () => {
    const payload = { sub: userId, iss: issuer, aud: audience, iat: nowS(), exp: nowS() + 60 };
    await expectUnauthenticated(service().verify(craft({ alg: 'none', typ: 'JWT' }, payload)));
    await expectUnauthenticated(
      service().verify(craft({ alg: 'none' }, { ...payload, scope: 'service', sub: 'service' })),
    );
  });

  it('rejects a forged signature and another secret', async () => {
    const { token } = await service().signAccessToken({ userId });
    const [h, p] = token.split('.');
    const tampered = craft(
      { alg: 'HS256', typ: 'JWT' },
      { sub: userId, iss: issuer, aud: audience, exp: nowS() + 60, scope: 'service' },
    );
    await expectUnauthenticated(
      service().verify(
        `${tampered.slice(0, tampered.lastIndexOf('.'))}.${token.split('.')[2] ?? ''}`,
      ),
    );
    await expectUnauthenticated(service().verify(`${h ?? ''}.${p ?? ''}.AAAA`));
    const other = createTokenService({
      secret: 'y'.repeat(48),
      issuer,
      audience,
      accessTokenTtlSeconds: 60,
    });
    await expectUnauthenticated(service().verify((await other.signAccessToken({ userId })).token));
  });

  it('rejects algorithms other than HS256, even with the right secret', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(nowS() + 60)
      .sign(key);
    await expectUnauthenticated(service().verify(token));
  });

  it('rejects an expired token', async () => {
    const past = createManualClock(new Date(Date.now() - 3_600_000));
    const old = createTokenService({
      secret,
      issuer,
      audience,
      accessTokenTtlSeconds: 60,
      clock: past,
    });
    const { token } = await old.signAccessToken({ userId });
    await expectUnauthenticated(service().verify(token), 'token expired');
  });

  it('expires tokens by the injected clock', async () => {
    const clock = createManualClock();
    const tokens = createTokenService({
      secret,
      issuer,
      audience,
      accessTokenTtlSeconds: 60,
      clock,
    });
    const { token } = await tokens.signAccessToken({ userId });
    await expect(tokens.verify(token)).resolves.toMatchObject({ kind: 'user' });
    clock.advance(70_000);
    await expectUnauthenticated(tokens.verify(token), 'token expired');
  });

  it('rejects wrong audience and wrong issuer', async () => {
    const wrongAud = createTokenService({
      secret,
      issuer,
      audience: 'other',
      accessTokenTtlSeconds: 60,
    });
    const wrongIss = createTokenService({
      secret,
      issuer: 'other',
      audience,
      accessTokenTtlSeconds: 60,
    });
    await expectUnauthenticated(
      service().verify((await wrongAud.signAccessToken({ userId })).token),
    );
    await expectUnauthenticated(
      service().verify((await wrongIss.signAccessToken({ userId })).token),
    );
  });

  it('rejects a token without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .sign(key);
    await expectUnauthenticated(service().verify(token));
  });

  it('rejects a user token whose sub is not an ObjectId, and service scope with a user sub', async () => {
    const sign = (claims: object, sub: string) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime(nowS() + 60)
        .sign(key);
    await expectUnauthenticated(service().verify(await sign({}, 'alice')));
    await expectUnauthenticated(service().verify(await sign({}, 'service')));
    await expectUnauthenticated(service().verify(await sign({ scope: 'service' }, userId)));
  });

  it('rejects garbage and oversize input', async () => {
    for (const t of ['', 'abc', 'a.b.c', 'x'.repeat(9000)])
      await expectUnauthenticated(service().verify(t));
  });

  it('refuses weak configuration', () => {
    expect(() =>
      createTokenService({ secret: 'short', issuer, audience, accessTokenTtlSeconds: 60 }),
    ).toThrow(/32 bytes/);
    expect(() =>
      createTokenService({
        secret,
        issuer,
        audience,
        accessTokenTtlSeconds: 60,
        external: {
          jwksUrl: 'http://127.0.0.1:1/jwks',
          issuer: 'idp',
          audience: 'a',
          algorithms: ['HS256'],
        },
      }),
    ).toThrow(/asymmetric/);
  });
});
