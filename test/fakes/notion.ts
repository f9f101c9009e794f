import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { FakeRequest, Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * Notion's public-integration API. The token endpoint takes HTTP Basic client authentication and a JSON body
 * only (a form body is a 400). Without token rotation, tokens never expire and come with no refresh token;
 * with it, a refresh token comes back and every refresh replaces it. Every API request must carry
 * `Notion-Version` (else 400 `missing_version`); errors are `{object: "error", status, code, message}`.
 */

export interface NotionPage {
  id: string;
  parent: string | null;
  title: string;
  blocks: Record<string, unknown>[];
}

export interface NotionFake extends CatalogFake {
  addPage(title: string, paragraphs: string[], parent?: string): NotionPage;
  pages(): NotionPage[];
}

const notionError = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply => ({
  status,
  headers,
  body: { object: 'error', status, code, message },
});

const text = (t: string) => [{ type: 'text', text: { content: t }, plain_text: t }];

export async function startNotionFake(
  o: { now?: () => number; rotation?: boolean } = {},
): Promise<NotionFake> {
  const now = o.now ?? Date.now;
  const pages = new Map<string, NotionPage>();
  let n = 0;
  const rotation = o.rotation ?? false;
  const oauth = createOAuthFake({
    now,
    prefix: 'ntn_',
    clientAuth: 'basic',
    body: 'json',
    authorizePath: '/v1/oauth/authorize',
    tokenPath: '/v1/oauth/token',
    accessTtl: rotation ? 3600 : null,
    refresh: rotation,
    rotate: true,
    extra: () => ({
      bot_id: 'bot-1',
      workspace_id: 'ws-1',
      workspace_name: 'Acme',
      owner: {
        type: 'user',
        user: { object: 'user', id: 'user-ann', name: 'Ann', person: { email: 'ann@example.com' } },
      },
    }),
  });
  const id = () => `${(++n).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
  const view = (p: NotionPage) => ({
    object: 'page',
    id: p.id,
    url: `https://www.notion.so/${p.id.replace(/-/g, '')}`,
    last_edited_time: new Date(now()).toISOString(),
    properties: { title: { id: 'title', type: 'title', title: text(p.title) } },
  });
  const versioned =
    (fn: (req: FakeRequest, p: Record<string, string>) => Reply) =>
    (req: FakeRequest, p: Record<string, string>): Reply =>
      req.headers['notion-version']
        ? fn(req, p)
        : notionError(400, 'missing_version', 'Notion-Version header failed validation');
  const find = (raw: string | undefined) =>
    pages.get(String(raw ?? '').replace(/-/g, '')) ?? [...pages.values()].find((p) => p.id === raw);
  const addPage = (title: string, paragraphs: string[], parent: string | null = null) => {
    const page: NotionPage = {
      id: id(),
      parent,
      title,
      blocks: paragraphs.map((t) => ({
        object: 'block',
        type: 'paragraph',
        paragraph: { rich_text: text(t) },
      })),
    };
    pages.set(page.id.replace(/-/g, ''), page);
    return page;
  };

  const fake = await startCatalogFake({
    oauth,
    unauthorized: () => notionError(401, 'unauthorized', 'API token is invalid.'),
    rateLimited: (s) =>
      notionError(429, 'rate_limited', 'This request exceeds the number of requests allowed.', {
        'retry-after': String(s),
      }),
    routes: [
      {
        method: 'GET',
        pattern: /^\/v1\/users\/me$/,
        key: 'GET /users/me',
        run: versioned(() => ({ status: 200, body: { object: 'user', id: 'bot-1', type: 'bot' } })),
      },
      {
        method: 'POST',
        pattern: /^\/v1\/search$/,
        key: 'POST /search',
        run: versioned((req) => {
          const q = String((req.json as { query?: string }).query ?? '').toLowerCase();
          const hits = [...pages.values()].filter((p) => p.title.toLowerCase().includes(q));
          return {
            status: 200,
            body: { object: 'list', results: hits.map(view), next_cursor: null, has_more: false },
          };
        }),
      },
      {
        method: 'GET',
        pattern: /^\/v1\/pages\/(?<id>[0-9a-f-]+)$/,
        key: 'GET /pages/{id}',
        run: versioned((_req, p) => {
          const page = find(p['id']);
          return page
            ? { status: 200, body: view(page) }
            : notionError(404, 'object_not_found', 'Could not find page.');
        }),
      },
      {
        method: 'GET',
        pattern: /^\/v1\/blocks\/(?<id>[0-9a-f-]+)\/children$/,
        key: 'GET /blocks/{id}/children',
        run: versioned((_req, p) => {
          const page = find(p['id']);
          return page
            ? {
                status: 200,
                body: { object: 'list', results: page.blocks, next_cursor: null, has_more: false },
              }
            : notionError(404, 'object_not_found', 'Could not find block.');
        }),
      },
      {
        method: 'POST',
        pattern: /^\/v1\/pages$/,
        key: 'POST /pages',
        run: versioned((req) => {
          const b = req.json as {
            parent?: { page_id?: string };
            properties?: { title?: { title?: { text?: { content?: string } }[] } };
            children?: Record<string, unknown>[];
          };
          const parent = find(b.parent?.page_id);
          if (!parent)
            return notionError(
              404,
              'object_not_found',
              'Could not find page with that ID. Make sure the relevant pages are shared with your integration.',
            );
          const title = b.properties?.title?.title?.map((t) => t.text?.content ?? '').join('') ?? '';
          const page = addPage(title, [], parent.id);
          page.blocks = (b.children ?? []).map((c) => ({
            ...c,
            paragraph: {
              rich_text: (
                (c['paragraph'] as { rich_text?: { text?: { content?: string } }[] })?.rich_text ?? []
              ).flatMap((r) => text(r.text?.content ?? '')),
            },
          }));
          return { status: 200, body: view(page) };
        }),
      },
    ],
  });
  return { ...fake, addPage, pages: () => [...pages.values()] };
}
