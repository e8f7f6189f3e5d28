import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookDelivery {
  deliveryId: string;
  /** X-Chat-Signature matched the HMAC-SHA256 of the raw body bytes. */
  signatureValid: boolean;
  body: Record<string, unknown>;
  /** When the answer was sent (ms since the epoch). */
  at: number;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: WebhookDelivery[];
  /** Status for the n-th (1-based) request of a deliveryId. @default () => 200 */
  respond: (deliveryId: string, n: number) => number;
  /** Extra latency before answering (keeps jobs active, e.g. for crash tests). @default 0 */
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

/**
 * A real node:http webhook receiver on 127.0.0.1 (docs/PROTOCOL.md#section-5) that checks the signature
 * against the raw bytes and records every request; non-JSON requests get 415.
 */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const deliveryId = String(req.headers['x-chat-delivery-id'] ?? '');
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
      );
      const given = Buffer.from(String(req.headers['x-chat-signature'] ?? ''));
      const n = receiver.received.filter((r) => r.deliveryId === deliveryId).length + 1;
      const status =
        req.headers['content-type'] === 'application/json' ? receiver.respond(deliveryId, n) : 415;
      if (receiver.delayMs > 0) await new Promise((r) => setTimeout(r, receiver.delayMs));
      receiver.received.push({
        deliveryId,
        signatureValid: expected.length === given.length && timingSafeEqual(expected, given),
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        at: Date.now(),
        status,
      });
      res.writeHead(status).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received: [],
    respond: () => 200,
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
