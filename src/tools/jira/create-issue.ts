import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { adf, JIRA, WRITE_SCOPES } from './refs.js';

const created = z.object({ id: z.string(), key: z.string(), self: z.string().optional() }).partial();

export const jiraCreateIssue = defineProviderTool({
  name: 'jira.createIssue',
  title: 'Create a Jira issue',
  description:
    'Create a Jira issue as the user in a project (by key), with a summary, an optional plain-text ' +
    'description, issue type (default "Task") and labels. Returns the new key (e.g. OPS-12). Pass an ' +
    'idempotencyKey naming what the issue is about (e.g. "zendesk-35436"): a repeat within 24 hours returns ' +
    'the first issue instead of a duplicate.',
  provider: JIRA.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    projectKey: z
      .string()
      .trim()
      .max(20)
      .regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'a project key such as "OPS"')
      .describe('the project key, e.g. "OPS"'),
    summary: z.string().trim().min(1).max(255).describe('one-line summary'),
    description: z.string().max(32_000).optional().describe('plain text; blank lines separate paragraphs'),
    issueType: z.string().trim().min(1).max(60).optional().describe('issue type name; default "Task"'),
    labels: z
      .array(z.string().regex(/^\S{1,255}$/, 'a label without spaces'))
      .max(20)
      .optional()
      .describe('labels to set, without spaces'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    key: z.string().optional().describe('the new issue key, e.g. OPS-12'),
    id: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: JIRA.name,
      thing: `the issue in ${input.projectKey}`,
      verb: 'creating',
      howToCheck: `look for it with jira.searchIssues (project = ${input.projectKey} AND summary ~ "<words>")`,
      replay: (r, at) => `Issue ${String(r['key'])} was already created for this idempotencyKey (at ${at}).`,
    };
  },
  async run(input, api) {
    const r = await api.request('POST', 'rest/api/3/issue', {
      json: {
        fields: {
          project: { key: input.projectKey },
          summary: input.summary,
          issuetype: { name: input.issueType ?? 'Task' },
          ...(input.description ? { description: adf(input.description) } : {}),
          ...(input.labels ? { labels: input.labels } : {}),
        },
      },
    });
    if (r.error) return requestFailed(JIRA, r.error, `project ${input.projectKey}`);
    const c = created.safeParse(r.body);
    const key = c.success ? c.data.key : undefined;
    return okResult(key ? `Created Jira issue ${key}.` : `Jira created the issue in ${input.projectKey}.`, {
      ...(key ? { key } : {}),
      ...(c.success && c.data.id ? { id: c.data.id } : {}),
    });
  },
});
