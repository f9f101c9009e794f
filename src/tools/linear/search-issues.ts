import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { graphql, issueNode, LINEAR, READ_SCOPES } from './refs.js';

const QUERY = `query Search($term: String!, $first: Int, $after: String) {
  searchIssues(term: $term, first: $first, after: $after) {
    nodes { id identifier title url priority state { name } assignee { name } team { key } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const connection = z.object({
  nodes: z.array(z.unknown()).default([]),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }).partial().optional(),
});

const issueSummary = z.object({
  id: z.string(),
  identifier: z.string().optional(),
  title: z.string().optional(),
  url: z.string().optional(),
  state: z.string().optional(),
  assignee: z.string().optional(),
  team: z.string().optional(),
  priority: z.number().optional(),
});

export const linearSearchIssues = defineProviderTool({
  name: 'linear.searchIssues',
  title: 'Search Linear issues',
  description:
    'Full-text search over Linear issues the user can see. Returns identifier (e.g. ENG-12), title, url, ' +
    'state, assignee and team of each, a page at a time: pass `after` = `endCursor` for more.',
  provider: LINEAR.id,
  scopes: READ_SCOPES,
  input: z.object({
    query: z.string().trim().min(1).max(500).describe('words to search for'),
    first: z.number().int().min(1).max(50).optional().describe('issues per page, 1-50; default 20'),
    after: z.string().max(500).optional().describe('endCursor of the previous page'),
  }),
  output: outputSchema({
    issues: z.array(issueSummary).optional(),
    endCursor: z.string().optional().describe('pass as `after` for the next page; absent on the last'),
  }),
  annotations: READ,
  async run(input, api) {
    const { r, data } = await graphql(api, QUERY, {
      term: input.query,
      first: input.first ?? 20,
      ...(input.after ? { after: input.after } : {}),
    });
    if (r.error) return requestFailed(LINEAR, r.error, `issues matching "${input.query}"`);
    const c = connection.safeParse(data['searchIssues']);
    const nodes = c.success ? c.data.nodes : [];
    const issues = nodes.flatMap((n) => {
      const i = issueNode.safeParse(n);
      if (!i.success) return [];
      const v = i.data;
      return [
        {
          id: v.id,
          ...(v.identifier ? { identifier: v.identifier } : {}),
          ...(v.title ? { title: v.title } : {}),
          ...(v.url ? { url: v.url } : {}),
          ...(v.state ? { state: v.state.name } : {}),
          ...(v.assignee ? { assignee: v.assignee.name } : {}),
          ...(v.team ? { team: v.team.key } : {}),
          ...(v.priority !== undefined ? { priority: v.priority } : {}),
        },
      ];
    });
    const next =
      c.success && c.data.pageInfo?.hasNextPage ? (c.data.pageInfo.endCursor ?? undefined) : undefined;
    const text =
      issues.length === 0
        ? `No Linear issues match "${input.query}".`
        : issues
            .slice(0, 10)
            .map((i) => `${i.identifier ?? i.id} ${i.title ?? ''}`)
            .join('; ') + (next ? '. More with after.' : '.');
    return okResult(text, { issues, ...(next ? { endCursor: next } : {}) });
  },
});
