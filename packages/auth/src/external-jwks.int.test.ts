import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { AppError } from '@chat/core';
import { createTokenService, type TokenService } from './token-service.js';

const secret = 's'.repeat(48);
const idpIssuer = 'https://idp.example.test/';
const idpAudience = 'chat-app';

let server: Server;
let jwksUrl: string;
let jwksRequests = 0;
let rsa: { privateKey: CryptoKey; jwk: JWK };
let ec: { privateKey: CryptoKey; jwk: JWK };
let stranger: CryptoKey;

async function keyPair(
  alg: 'RS256' | 'ES256',
  kid: string,
): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function tokens(url = jwksUrl): TokenService {
  return createTokenService({
    secret,
    issuer: 'chat-cluster',
    audience: 'chat-clients',
    accessTokenTtlSeconds: 900,
    external: { jwksUrl: url, issuer: idpIssuer, audience: idpAudience, jwksTimeoutMs: 2000 },
  });
}

function idpToken(
  key: CryptoKey,
  alg: string,
  kid: string,
  overrides: { aud?: string; iss?: string; exp?: number | null } = {},
): Promise<string> {
  const jwt = new SignJWT({ preferred_username: 'dora' })
    .setProtectedHeader({ alg, kid })
    .setSubject('idp-user-42')
    .setIssuer(overrides.iss ?? idpIssuer)
    .setAudience(overrides.aud ?? idpAudience)
    .setIssuedAt();
  if (overrides.exp !== null)
    jwt.setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 300);
  return jwt.sign(key);
}

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeAll(async () => {
  rsa = await keyPair('RS256', 'rsa-1');
  ec = await keyPair('ES256', 'ec-1');
  stranger = (await generateKeyPair('RS256')).privateKey;
  server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    jwksRequests++;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) =>
    server.close((err) => (err ? reject(err) : resolve())),
  );
});

describe('external identity provider (JWKS over real HTTP)', () => {
  it('verifies RS256 and ES256 tokens from the JWKS and caches the key set', async () => {
    const service = tokens();
    const before = jwksRequests;
    const rs = await service.verify(await idpToken(rsa.privateKey, 'RS256', 'rsa-1'));
    expect(rs).toMatchObject({
      kind: 'external',
      issuer: idpIssuer,
      subject: 'idp-user-42',
      preferredUsername: 'dora',
    });
    const es = await service.verify(await idpToken(ec.privateKey, 'ES256', 'ec-1'));
    expect(es.kind).toBe('external');
    expect(jwksRequests - before).toBe(1);
  });

  it('still verifies our own tokens when an external provider is configured', async () => {
    const service = tokens();
    const { token } = await service.signAccessToken({ userId: '65a1b2c3d4e5f60718293a4b' });
    await expect(service.verify(token)).resolves.toMatchObject({ kind: 'user', external: false });
  });

  it('rejects wrong audience, missing exp, expired, and keys not in the JWKS', async () => {
    const service = tokens();
    const cases = [
      await idpToken(rsa.privateKey, 'RS256', 'rsa-1', { aud: 'someone-else' }),
      await idpToken(rsa.privateKey, 'RS256', 'rsa-1', { exp: null }),
      await idpToken(rsa.privateKey, 'RS256', 'rsa-1', {
        exp: Math.floor(Date.now() / 1000) - 600,
      }),
      await idpToken(stranger, 'RS256', 'rsa-1'),
      await idpToken(stranger, 'RS256', 'unknown-kid'),
    ];
    for (const token of cases)
      expect((await errorOf(service.verify(token))).code).toBe('UNAUTHENTICATED');
  });

  it('rejects an HS256 token claiming the external issuer (algorithm confusion)', async () => {
    const service = tokens();
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('idp-user-42')
      .setIssuer(idpIssuer)
      .setAudience(idpAudience)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
    expect((await errorOf(service.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  it('reports an unreachable JWKS as UNAVAILABLE, not as a bad token', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const service = tokens(`http://127.0.0.1:${port}/jwks.json`);
    const err = await errorOf(service.verify(await idpToken(rsa.privateKey, 'RS256', 'rsa-1')));
    expect(err.code).toBe('UNAVAILABLE');
    const notFound = tokens(jwksUrl.replace('jwks.json', 'missing.json'));
    expect(
      (await errorOf(notFound.verify(await idpToken(rsa.privateKey, 'RS256', 'rsa-1')))).code,
    ).toBe('UNAVAILABLE');
  });
});
