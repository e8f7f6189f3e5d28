// `npm run service-token`: prints a service token (docs/PROTOCOL.md#section-5) for the local cluster.
// It reads the same environment as the gateways through the gateway's own config loader,
// so the secret, issuer and audience are the ones `npm start` uses (defaults included).
import { createTokenService } from '@chat/auth';
import { loadGatewayConfig } from '@chat/gateway';

const ttlArg = process.argv.indexOf('--ttl');
const ttlSeconds = ttlArg >= 0 ? Number(process.argv[ttlArg + 1]) : 3600;
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  process.stderr.write('usage: npm run service-token [-- --ttl <seconds>]\n');
  process.exit(2);
}
const { auth } = loadGatewayConfig(process.env);
const tokens = createTokenService({
  secret: auth.jwtSecret,
  issuer: auth.issuer,
  audience: auth.audience,
  accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
});
process.stdout.write(`${await tokens.signServiceToken({ ttlSeconds })}\n`);
