import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { blockText, NOTION, pageIdInput, SCOPES, titleOf } from './refs.js';

const MAX_TEXT = 20_000;
/** Pages of 100 blocks read at most: enough for a long document, bounded for a slow one. */
const MAX_BATCHES = 5;

const children = z.object({
  results: z.array(z.record(z.string(), z.unknown())).default([]),
  has_more: z.boolean().optional(),
  next_cursor: z.string().nullable().optional(),
});

export const notionReadPage = defineProviderTool({
  name: 'notion.readPage',
  title: 'Read a Notion page',
  description:
    "Read a Notion page's title and its content as plain text (headings, lists, to-dos, quotes, code; " +
    'images and embeds are skipped), cut at 20,000 characters (`truncated`). Nested blocks are not expanded.',
  provider: NOTION.id,
  scopes: SCOPES,
  input: z.object({ pageId: pageIdInput }),
  output: outputSchema({
    id: z.string().optional(),
    title: z.string().optional(),
    url: z.string().optional(),
    text: z.string().optional().describe('the page content as text'),
    truncated: z.boolean().optional(),
  }),
  annotations: READ,
  async run(input, api) {
    const page = await api.request('GET', `pages/${input.pageId}`);
    if (page.error)
      return requestFailed(NOTION, page.error, `page ${input.pageId}`, 'Is the page shared with toolvault?');
    const meta = (typeof page.body === 'object' && page.body !== null ? page.body : {}) as Record<
      string,
      unknown
    >;
    const lines: string[] = [];
    let cursor: string | undefined;
    let more = false;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const r = await api.request('GET', `blocks/${input.pageId}/children`, {
        query: { page_size: 100, ...(cursor ? { start_cursor: cursor } : {}) },
      });
      if (r.error) return requestFailed(NOTION, r.error, `the content of page ${input.pageId}`);
      const c = children.safeParse(r.body);
      if (!c.success) break;
      for (const b of c.data.results) {
        const line = blockText(b);
        if (line) lines.push(line);
      }
      more = Boolean(c.data.has_more && c.data.next_cursor);
      if (!more) break;
      cursor = c.data.next_cursor ?? undefined;
    }
    const all = lines.join('\n');
    const truncated = more || all.length > MAX_TEXT;
    const text = all.slice(0, MAX_TEXT);
    const title = titleOf(meta);
    return okResult(`${title ?? '(untitled)'}\n\n${text}`, {
      id: typeof meta['id'] === 'string' ? meta['id'] : input.pageId,
      ...(title ? { title } : {}),
      ...(typeof meta['url'] === 'string' ? { url: meta['url'] } : {}),
      text,
      truncated,
    });
  },
});
