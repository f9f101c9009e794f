import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { NOTION, pageIdInput, SCOPES } from './refs.js';

/** Notion caps one rich-text item at 2000 characters and one request at 100 blocks. */
const CHUNK = 2000;
const MAX_BLOCKS = 100;

function paragraphs(content: string): Record<string, unknown>[] {
  const blocks = content
    .split(/\n{2,}/)
    .flatMap((p) => p.match(new RegExp(`[\\s\\S]{1,${CHUNK}}`, 'g')) ?? [])
    .map((text) => ({
      object: 'block',
      type: 'paragraph',
      paragraph: { rich_text: [{ type: 'text', text: { content: text } }] },
    }));
  return blocks.slice(0, MAX_BLOCKS);
}

const created = z.object({ id: z.string(), url: z.string() }).partial();

export const notionCreatePage = defineProviderTool({
  name: 'notion.createPage',
  title: 'Create a Notion page',
  description:
    'Create a page under a parent page shared with toolvault, with a title and plain-text content (blank ' +
    'lines separate paragraphs). Returns the new page id and url. Pass an idempotencyKey: a repeat within 24 ' +
    'hours returns the first page.',
  provider: NOTION.id,
  scopes: SCOPES,
  input: z.object({
    parentPageId: pageIdInput,
    title: z.string().trim().min(1).max(2000).describe('the page title'),
    content: z.string().max(100_000).optional().describe('plain text; blank lines separate paragraphs'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.string().optional(),
    url: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: NOTION.name,
      thing: `the page "${input.title}"`,
      verb: 'creating',
      howToCheck: 'look for it with notion.search',
    };
  },
  async run(input, api) {
    const r = await api.request('POST', 'pages', {
      json: {
        parent: { page_id: input.parentPageId },
        properties: { title: { title: [{ type: 'text', text: { content: input.title } }] } },
        ...(input.content ? { children: paragraphs(input.content) } : {}),
      },
    });
    if (r.error)
      return requestFailed(
        NOTION,
        r.error,
        `parent page ${input.parentPageId}`,
        'Is the parent page shared with toolvault?',
      );
    const c = created.safeParse(r.body);
    const page = c.success ? c.data : {};
    return okResult(`Created Notion page "${input.title}"${page.url ? `: ${page.url}` : ''}.`, {
      ...(page.id ? { id: page.id } : {}),
      ...(page.url ? { url: page.url } : {}),
    });
  },
});
