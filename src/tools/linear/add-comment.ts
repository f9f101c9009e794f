import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { graphql, issueIdInput, LINEAR, WRITE_SCOPES } from './refs.js';

const CREATE = `mutation Comment($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id url } }
}`;
const payload = z.object({
  comment: z.object({ id: z.string(), url: z.string().optional() }).nullable().optional(),
});

export const linearAddComment = defineProviderTool({
  name: 'linear.addComment',
  title: 'Comment on a Linear issue',
  description:
    'Add a Markdown comment to a Linear issue as the user. Returns the comment id and url. Pass an ' +
    'idempotencyKey so a retried call does not comment twice.',
  provider: LINEAR.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    issueId: issueIdInput,
    body: z.string().min(1).max(50_000).describe('Markdown'),
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
      provider: LINEAR.name,
      thing: `the comment on ${input.issueId}`,
      verb: 'posting',
      howToCheck: 'read the issue in Linear',
    };
  },
  async run(input, api) {
    const { r, data } = await graphql(api, CREATE, {
      input: { issueId: input.issueId, body: input.body },
    });
    if (r.error) return requestFailed(LINEAR, r.error, `issue ${input.issueId}`);
    const p = payload.safeParse(data['commentCreate']);
    const c = p.success ? p.data.comment : undefined;
    return okResult(`Commented on ${input.issueId}.`, {
      ...(c ? { id: c.id } : {}),
      ...(c?.url ? { url: c.url } : {}),
    });
  },
});
