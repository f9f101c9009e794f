import { z } from 'zod';

export const NOTION = { id: 'notion', name: 'Notion' };
/** Notion has no OAuth scopes: capabilities are set on the integration, pages chosen at consent. */
export const SCOPES: string[] = [];

export const pageIdInput = z
  .string()
  .trim()
  .regex(
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
    'a Notion page id (32 hex digits)',
  )
  .describe('the page id, with or without dashes');

const richText = z.array(z.object({ plain_text: z.string().optional() }).partial()).default([]);

/** The plain text of a rich-text array. */
export function plain(rt: unknown): string {
  const parsed = richText.safeParse(rt);
  return parsed.success ? parsed.data.map((t) => t.plain_text ?? '').join('') : '';
}

/** The title of a page or data source: its `title` property, whatever the property is named. */
export function titleOf(page: Record<string, unknown>): string | undefined {
  if (Array.isArray(page['title'])) return plain(page['title']) || undefined;
  const props = page['properties'];
  if (typeof props !== 'object' || props === null) return undefined;
  for (const p of Object.values(props as Record<string, unknown>)) {
    const prop = p as { type?: unknown; title?: unknown };
    if (prop?.type === 'title') return plain(prop.title) || undefined;
  }
  return undefined;
}

const PREFIX: Record<string, string> = {
  heading_1: '# ',
  heading_2: '## ',
  heading_3: '### ',
  bulleted_list_item: '- ',
  numbered_list_item: '1. ',
  quote: '> ',
  callout: '> ',
  toggle: '',
  paragraph: '',
  code: '',
};

/** One block as a line of Markdown-ish text; empty for blocks with no text (images, dividers...). */
export function blockText(block: Record<string, unknown>): string {
  const type = typeof block['type'] === 'string' ? block['type'] : '';
  const content = block[type] as { rich_text?: unknown; checked?: unknown } | undefined;
  if (type === 'to_do') return `- [${content?.checked ? 'x' : ' '}] ${plain(content?.rich_text)}`;
  if (type === 'divider') return '---';
  if (type === 'child_page')
    return `[page] ${String((content as { title?: unknown } | undefined)?.title ?? '')}`;
  if (!(type in PREFIX)) return '';
  const text = plain(content?.rich_text);
  return type === 'code' ? '```\n' + text + '\n```' : PREFIX[type] + text;
}
