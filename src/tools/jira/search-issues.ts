import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { JIRA, READ_SCOPES } from './refs.js';

const named = z
  .object({ name: z.string().optional(), displayName: z.string().optional() })
  .nullable()
  .optional();
const issueBody = z.object({
  id: z.string(),
  key: z.string(),
  fields: z
    .object({
      summary: z.string().optional(),
      status: named,
      priority: named,
      assignee: named,
      issuetype: named,
      created: z.string().optional(),
    })
    .partial()
    .default({}),
});
const searchBody = z.object({
  issues: z.array(z.unknown()).default([]),
  nextPageToken: z.string().nullable().optional(),
});

const issueSummary = z.object({
  key: z.string(),
  id: z.string(),
  summary: z.string().optional(),
  status: z.string().optional(),
  priority: z.string().optional(),
  assignee: z.string().optional(),
  type: z.string().optional(),
  created: z.string().optional(),
});

export const jiraSearchIssues = defineProviderTool({
  name: 'jira.searchIssues',
  title: 'Search Jira issues (JQL)',
  description:
    'Find Jira issues with JQL, e.g. "project = OPS AND status != Done ORDER BY created DESC" or ' +
    '"text ~ \\"login fails\\"". Returns key, summary, status, priority, assignee and type of each, a page at ' +
    'a time: when `nextPageToken` comes back, call again with it for more.',
  provider: JIRA.id,
  scopes: READ_SCOPES,
  input: z.object({
    jql: z.string().trim().min(1).max(2000).describe('a JQL query'),
    maxResults: z.number().int().min(1).max(100).optional().describe('issues per page, 1-100; default 20'),
    nextPageToken: z.string().max(2000).optional().describe('from the previous page'),
  }),
  output: outputSchema({
    issues: z.array(issueSummary).optional(),
    nextPageToken: z.string().optional().describe('pass back for the next page; absent on the last'),
  }),
  annotations: READ,
  async run(input, api) {
    const r = await api.request('POST', 'rest/api/3/search/jql', {
      json: {
        jql: input.jql,
        maxResults: input.maxResults ?? 20,
        fields: ['summary', 'status', 'priority', 'assignee', 'issuetype', 'created'],
        ...(input.nextPageToken ? { nextPageToken: input.nextPageToken } : {}),
      },
    });
    if (r.error)
      return requestFailed(JIRA, r.error, `issues matching the JQL`, 'Check the JQL syntax and field names.');
    const parsed = searchBody.safeParse(r.body);
    const body = parsed.success ? parsed.data : { issues: [], nextPageToken: null };
    const issues = body.issues.flatMap((raw) => {
      const i = issueBody.safeParse(raw);
      if (!i.success) return [];
      const f = i.data.fields;
      const name = (n: z.infer<typeof named>) => n?.name ?? n?.displayName;
      return [
        {
          key: i.data.key,
          id: i.data.id,
          ...(f.summary ? { summary: f.summary } : {}),
          ...(name(f.status) ? { status: name(f.status) } : {}),
          ...(name(f.priority) ? { priority: name(f.priority) } : {}),
          ...(name(f.assignee) ? { assignee: name(f.assignee) } : {}),
          ...(name(f.issuetype) ? { type: name(f.issuetype) } : {}),
          ...(f.created ? { created: f.created } : {}),
        },
      ];
    });
    const text =
      issues.length === 0
        ? 'No Jira issues match.'
        : issues
            .slice(0, 10)
            .map((i) => `${i.key} ${i.summary ?? ''} (${i.status ?? '?'})`)
            .join('; ') + (body.nextPageToken ? '. More with nextPageToken.' : '.');
    return okResult(text, { issues, ...(body.nextPageToken ? { nextPageToken: body.nextPageToken } : {}) });
  },
});
