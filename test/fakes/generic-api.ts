import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * A plain RFC 6749 / RFC 6750 provider for `<provider>.request`: its API under `/api` (JSON lists, a large
 * document, an HTML page, a binary file, writes that echo) and, outside it, `/elsewhere/secret`, which a
 * request tool must never reach.
 */
export interface GenericApiFake extends CatalogFake {
  items(): { id: number; name: string }[];
}

export async function startGenericApiFake(o: { now?: () => number } = {}): Promise<GenericApiFake> {
  const now = o.now ?? Date.now;
  const items = [
    { id: 1, name: 'alpha' },
    { id: 2, name: 'beta' },
  ];
  const oauth = createOAuthFake({
    now,
    prefix: 'gen-',
    clientAuth: 'basic',
    accessTtl: 3600,
    refresh: true,
    rotate: true,
  });
  const fake = await startCatalogFake({
    oauth,
    unauthorized: () => ({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      body: { error: 'invalid_token' },
    }),
    rateLimited: (s) => ({
      status: 429,
      headers: { 'retry-after': String(s) },
      body: { error: 'slow down' },
    }),
    routes: [
      {
        method: 'GET',
        pattern: /^\/api\/items$/,
        key: 'GET /api/items',
        run: (req) => ({
          status: 200,
          headers: {
            link: '</api/items?page=2>; rel="next"',
            'set-cookie': 'session=abc',
            'x-ratelimit-remaining': '99',
          },
          body: { items: items.slice(0, Number(req.query.get('limit') ?? items.length)) },
        }),
      },
      {
        method: 'GET',
        pattern: /^\/api\/big$/,
        key: 'GET /api/big',
        run: () => ({
          status: 200,
          body: { rows: Array.from({ length: 5000 }, (_, i) => ({ i, text: 'x'.repeat(300) })) },
        }),
      },
      {
        method: 'GET',
        pattern: /^\/api\/page$/,
        key: 'GET /api/page',
        run: () => ({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: '<html><head><style>p{}</style></head><body><h1>Status</h1><p>All systems go</p></body></html>',
        }),
      },
      {
        method: 'GET',
        pattern: /^\/api\/blob$/,
        key: 'GET /api/blob',
        run: () => ({
          status: 200,
          headers: { 'content-type': 'application/octet-stream' },
          body: '\u0000\u0001binary',
        }),
      },
      {
        method: 'POST',
        pattern: /^\/api\/items$/,
        key: 'POST /api/items',
        run: (req) => {
          const name = (req.json as { name?: unknown } | undefined)?.name;
          if (typeof name !== 'string') return { status: 422, body: { error: 'name is required' } };
          const item = { id: items.length + 1, name };
          items.push(item);
          return { status: 201, body: item };
        },
      },
      {
        method: 'GET',
        pattern: /^\/elsewhere\/secret$/,
        key: 'GET /elsewhere/secret',
        run: () => ({ status: 200, body: { secret: true } }),
      },
    ],
  });
  return { ...fake, items: () => items };
}
