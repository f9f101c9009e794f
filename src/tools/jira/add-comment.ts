import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { adf, issueKeyInput, JIRA, WRITE_SCOPES } from './refs.js';

const created = z.object({ id: z.string() }).partial();

export const jiraAddComment = defineProviderTool({
  name: 'jira.addComment',
  title: 'Comment on a Jira issue',
  description:
    'Add a plain-text comment to a Jira issue as the user. Returns the comment id. Pass an idempotencyKey ' +
    'so a retried call does not comment twice.',
  provider: JIRA.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    issueKey: issueKeyInput,
    body: z.string().min(1).max(32_000).describe('the comment; blank lines separate paragraphs'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.string().optional().describe('the comment id'),
    issueKey: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: JIRA.name,
      thing: `the comment on ${input.issueKey}`,
      verb: 'posting',
      howToCheck: 'read the issue in Jira',
    };
  },
  async run(input, api) {
    const r = await api.request('POST', `rest/api/3/issue/${input.issueKey}/comment`, {
      json: { body: adf(input.body) },
    });
    if (r.error) return requestFailed(JIRA, r.error, `issue ${input.issueKey}`);
    const c = created.safeParse(r.body);
    return okResult(`Commented on ${input.issueKey}.`, {
      issueKey: input.issueKey,
      ...(c.success && c.data.id ? { id: c.data.id } : {}),
    });
  },
});
