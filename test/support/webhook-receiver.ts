import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/ops/webhooks.js';

/**
 * A webhook endpoint on 127.0.0.1 that records every delivery attempt with its raw body, checks the signature
 * as a receiver should, and answers with scripted statuses (then 200).
 */

export interface Delivery {
  at: number;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, any>;
  signatureValid: boolean;
  answered: number;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Attempts that were answered 2xx, one per event. */
  delivered(): Delivery[];
  /** The next `n` attempts get `status` (e.g. 503), in order after any already queued. */
  failNext(status: number, n?: number, headers?: Record<string, string>): void;
  /** Resolves once `n` events were delivered (2xx), or rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const script: Array<{ status: number; headers?: Record<string, string> }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const next = script.shift() ?? { status: 200 };
      deliveries.push({
        at: Date.now(),
        headers: req.headers,
        raw,
        body: JSON.parse(raw) as Record<string, any>,
        signatureValid: verifySignature(secret, raw, String(req.headers['x-toolvault-signature'] ?? '')),
        answered: next.status,
      });
      res.writeHead(next.status, next.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const delivered = () => deliveries.filter((d) => d.answered >= 200 && d.answered < 300);
  return {
    url,
    deliveries,
    delivered,
    failNext(status, n = 1, headers) {
      for (let i = 0; i < n; i++) script.push({ status, ...(headers ? { headers } : {}) });
    },
    async waitFor(n, ms = 5000) {
      const until = Date.now() + ms;
      while (delivered().length < n) {
        if (Date.now() > until)
          throw new Error(`only ${delivered().length} of ${n} webhook deliveries arrived`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return delivered();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
