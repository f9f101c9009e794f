import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../src/clock.js';

/**
 * The operator's app as a user verifier sees it (Arcade's custom-verifier model): it reads toolvault's
 * signed request, checks it like a careful operator would (signature, type, audience, expiry), and sends the
 * browser back to the request's `return_to` with a signed confirmation of whoever is signed in here.
 * `confirmAs` is that person; `lifetimeSec` may be negative to issue an already-expired confirmation.
 */
export interface OperatorVerifier {
  url: string;
  confirmAs: string;
  lifetimeSec: number;
  /** Requests seen, decoded (for assertions that nothing secret travels in them). */
  requests: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startOperatorVerifier(o: {
  secret: string;
  clock: Clock;
  toolvaultUrl: () => string;
}): Promise<OperatorVerifier> {
  const key = new TextEncoder().encode(o.secret);
  const state: OperatorVerifier = {
    url: '',
    confirmAs: 'alice',
    lifetimeSec: 60,
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const request = new URL(req.url ?? '/', state.url).searchParams.get('request') ?? '';
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(request, key, {
          algorithms: ['HS256'],
          typ: 'toolvault-verify-request+jwt',
          audience: state.url,
          issuer: o.toolvaultUrl(),
          currentDate: new Date(o.clock.now()),
        }));
      } catch (err) {
        res.writeHead(400).end(`bad request: ${(err as Error).message}`);
        return;
      }
      state.requests.push(payload);
      const now = Math.floor(o.clock.now() / 1000);
      const confirmation = await new SignJWT({ nonce: payload['jti'] })
        .setProtectedHeader({ alg: 'HS256', typ: 'toolvault-verify-confirmation+jwt' })
        .setIssuer(state.url)
        .setAudience(o.toolvaultUrl())
        .setSubject(state.confirmAs)
        .setIssuedAt(now)
        .setExpirationTime(now + state.lifetimeSec)
        .sign(key);
      const back = new URL(String(payload['return_to']));
      back.searchParams.set('confirmation', confirmation);
      res.writeHead(303, { location: back.href }).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`;
  return state;
}
