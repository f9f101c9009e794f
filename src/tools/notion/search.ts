import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { NOTION, SCOPES, titleOf } from './refs.js';

const searchBody = z.object({
  results: z.array(z.record(z.string(), z.unknown())).default([]),
  next_cursor: z.string().nullable().optional(),
  has_more: z.boolean().optional(),
});

const hit = z.object({
  id: z.string(),
  object: z.string().describe('page or data_source'),
  title: z.string().optional(),
  url: z.string().optional(),
  lastEdited: z.string().optional(),
});

export const notionSearch = defineProviderTool({
  name: 'notion.search',
  title: 'Search Notion',
  description:
    'Search the Notion pages and data sources shared with toolvault by title. Returns id, title, url and ' +
    'last edit of each; pass `startCursor` = `nextCursor` for more. Read a page with notion.readPage.',
  provider: NOTION.id,
  scopes: SCOPES,
  input: z.object({
    query: z.string().trim().max(500).describe('words of the title; empty lists everything shared'),
    filter: z.enum(['page', 'data_source']).optional().describe('only pages, or only data sources'),
    pageSize: z.number().int().min(1).max(100).optional().describe('results per page, 1-100; default 20'),
    startCursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
  }),
  output: outputSchema({
    results: z.array(hit).optional(),
    nextCursor: z.string().optional(),
  }),
  annotations: READ,
  async run(input, api) {
    const r = await api.request('POST', 'search', {
      json: {
        ...(input.query ? { query: input.query } : {}),
        ...(input.filter ? { filter: { property: 'object', value: input.filter } } : {}),
        page_size: input.pageSize ?? 20,
        ...(input.startCursor ? { start_cursor: input.startCursor } : {}),
      },
    });
    if (r.error) return requestFailed(NOTION, r.error, `pages matching "${input.query}"`);
    const parsed = searchBody.safeParse(r.body);
    const body = parsed.success ? parsed.data : { results: [], next_cursor: null, has_more: false };
    const results = body.results.flatMap((p) => {
      if (typeof p['id'] !== 'string') return [];
      const title = titleOf(p);
      return [
        {
          id: p['id'],
          object: typeof p['object'] === 'string' ? p['object'] : 'page',
          ...(title ? { title } : {}),
          ...(typeof p['url'] === 'string' ? { url: p['url'] } : {}),
          ...(typeof p['last_edited_time'] === 'string' ? { lastEdited: p['last_edited_time'] } : {}),
        },
      ];
    });
    const next = body.has_more && body.next_cursor ? body.next_cursor : undefined;
    const text =
      results.length === 0
        ? `Nothing shared with toolvault matches "${input.query}".`
        : results
            .slice(0, 10)
            .map((x) => `${x.title ?? '(untitled)'} (${x.id})`)
            .join('; ') + (next ? '. More with startCursor.' : '.');
    return okResult(text, { results, ...(next ? { nextCursor: next } : {}) });
  },
});
