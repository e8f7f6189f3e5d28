import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnTsEntry, type ManagedProcess } from '@chat/testkit';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Received {
  deliveryId: string;
  signatureValid: boolean;
  body: Record<string, unknown>;
  at: number;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for one deliveryId: `(n)` is the 1-based request number for it. */
  respond: Map<string, (n: number) => number>;
  /** Extra latency before answering (keeps jobs active for the crash test). */
  delayMs: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A real HTTP webhook receiver on 127.0.0.1 that checks signatures against the raw bytes. */
export async function startReceiver(secret: string): Promise<Receiver> {
  const received: Received[] = [];
  const respond = new Map<string, (n: number) => number>();
  const receiver = { received, respond, delayMs: 0 } as Receiver;
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const deliveryId = String(req.headers['x-chat-delivery-id'] ?? '');
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
      );
      const given = Buffer.from(String(req.headers['x-chat-signature'] ?? ''));
      const signatureValid = expected.length === given.length && timingSafeEqual(expected, given);
      const n = received.filter((r) => r.deliveryId === deliveryId).length + 1;
      const status =
        req.headers['content-type'] === 'application/json'
          ? (respond.get(deliveryId)?.(n) ?? 200)
          : 415;
      if (receiver.delayMs > 0) await new Promise((r) => setTimeout(r, receiver.delayMs));
      received.push({
        deliveryId,
        signatureValid,
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        at: Date.now(),
        status,
      });
      res.writeHead(status).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** The real worker process (services/worker/src/main.ts), once it logged "worker ready". */
export function startWorker(env: Record<string, string>): Promise<ManagedProcess> {
  return spawnTsEntry('services/worker/src/main.ts', {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    name: 'worker',
    readyWhen: (output) => output.includes('"msg":"worker ready"'),
  });
}
