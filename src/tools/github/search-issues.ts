import { z } from 'zod';
import { githubRequestFailed, githubUnreadable } from './errors.js';
import { issueBody, issueSummary, summarize } from './issue-shape.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { okResult, outputSchema } from '../kit/result.js';

/** GitHub search returns at most the first 1000 results of a query (docs: "Search", "About search"). */
const SEARCH_CAP = 1000;

const searchBody = z.object({
  total_count: z.number(),
  incomplete_results: z.boolean().optional(),
  items: z.array(issueBody),
});

export const githubSearchIssues = defineProviderTool({
  name: 'github.searchIssues',
  title: 'Search GitHub issues',
  description:
    'Search issues and pull requests with GitHub search syntax, e.g. "repo:octocat/hello-world is:issue ' +
    'is:open crash in:title" or "label:bug author:octocat". Returns small summaries (number, title, state, ' +
    'url, repository, author, labels), newest first, a page at a time: when `nextPage` is returned, call ' +
    'again with `page` set to it. Private repositories are searched only when the user can see them.',
  provider: 'github',
  scopes: ['repo'],
  input: z.object({
    query: z.string().trim().min(1).max(256).describe('GitHub search query, e.g. "repo:o/r is:issue crash"'),
    perPage: z.number().int().min(1).max(100).optional().describe('results per page, 1-100; default 20'),
    page: z.number().int().min(1).max(100).optional().describe('page number, from 1; default 1'),
  }),
  output: outputSchema({
    totalCount: z.number().optional().describe('how many issues match in all'),
    incompleteResults: z
      .boolean()
      .optional()
      .describe('true when GitHub timed out and results may be partial'),
    items: z.array(issueSummary).optional(),
    nextPage: z.number().optional().describe('pass as page for more results; absent on the last page'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(input, api) {
    const perPage = input.perPage ?? 20;
    const page = input.page ?? 1;
    const r = await api.request('GET', 'search/issues', {
      query: { q: input.query, per_page: perPage, page, sort: 'created', order: 'desc' },
    });
    if (r.error) return githubRequestFailed(r, r.error, `issues matching "${input.query}"`);
    const parsed = searchBody.safeParse(r.body);
    if (!parsed.success) return githubUnreadable('the search results');
    const { total_count: total, incomplete_results: incomplete, items } = parsed.data;
    const more = page * perPage < Math.min(total, SEARCH_CAP) && items.length === perPage;
    const summaries = items.map(summarize);
    const text =
      summaries.length === 0
        ? `No issues match "${input.query}".`
        : `${total} match${total === 1 ? 'es' : ''}; page ${page}: ` +
          summaries
            .slice(0, 10)
            .map((i) => `#${i.number} ${i.title}`)
            .join('; ') +
          (more ? '. More with nextPage.' : '.');
    return okResult(text, {
      totalCount: total,
      ...(incomplete !== undefined ? { incompleteResults: incomplete } : {}),
      items: summaries,
      ...(more ? { nextPage: page + 1 } : {}),
    });
  },
});
