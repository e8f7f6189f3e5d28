import { createTokenService } from '@chat/auth';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..', '..');

describe('npm run service-token', () => {
  it('prints a service token the cluster configured with the same environment accepts', async () => {
    const secret = 'service-token-test-secret-0123456789abcdef';
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=@chat/source',
        '--import',
        'tsx',
        'infra/local/src/service-token.ts',
        '--ttl',
        '120',
      ],
      {
        cwd: repo,
        env: { ...process.env, JWT_SECRET: secret, JWT_ISSUER: 'iss-x', JWT_AUDIENCE: 'aud-x' },
      },
    );
    const tokens = createTokenService({
      secret,
      issuer: 'iss-x',
      audience: 'aud-x',
      accessTokenTtlSeconds: 60,
    });
    const principal = await tokens.verify(stdout.trim());
    expect(principal.kind).toBe('service');
    expect(principal.exp - Date.now() / 1000).toBeLessThanOrEqual(120);

    const other = createTokenService({
      secret: `${secret}-other`,
      issuer: 'iss-x',
      audience: 'aud-x',
      accessTokenTtlSeconds: 60,
    });
    await expect(other.verify(stdout.trim())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
