import { z } from 'zod';
import { githubRequestFailed, githubUnreadable } from './errors.js';
import { issueNumberInput, ownerInput, repoInput, repoPath } from './refs.js';
import { idempotentWrite } from '../kit/idempotent-write.js';
import { callProvider } from '../kit/provider-tool.js';
import { defineTool } from '../kit/define.js';
import { okResult, outputSchema } from '../kit/result.js';

const SCOPES = ['repo'];
const commentBody = z.object({ id: z.number(), html_url: z.string() });

export const githubAddComment = defineTool({
  name: 'github.addComment',
  title: 'Comment on a GitHub issue',
  description:
    'Add a comment to a GitHub issue or pull request as the user. Returns the comment id and url. Not ' +
    'idempotent: calling it twice posts two comments. Returns auth_required with a link when GitHub is not ' +
    'connected or lacks the permission, and not_found when the issue does not exist or is not visible.',
  provider: 'github',
  scopes: SCOPES,
  input: z.object({
    owner: ownerInput,
    repo: repoInput,
    number: issueNumberInput,
    body: z.string().min(1).max(65_536).describe('comment text in GitHub Markdown'),
  }),
  output: outputSchema({
    id: z.number().optional().describe("GitHub's id of the comment"),
    url: z.string().optional().describe('the comment on github.com'),
    issueNumber: z.number().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(input, ctx) {
    const what = `issue #${input.number} in ${input.owner}/${input.repo}`;
    // No key: idempotentWrite only makes sure a lost answer is reported as "may have been posted".
    return idempotentWrite(
      ctx,
      undefined,
      {
        provider: 'GitHub',
        thing: `the comment on ${what}`,
        verb: 'posting',
        howToCheck: 'read its comments',
      },
      (track) =>
        callProvider(ctx, 'github', SCOPES, async (raw) => {
          const api = track(raw);
          const path = `${repoPath(input.owner, input.repo)}/issues/${input.number}/comments`;
          const r = await api.request('POST', path, { json: { body: input.body } });
          if (r.error) return githubRequestFailed(r, r.error, what);
          const c = commentBody.safeParse(r.body);
          if (!c.success) return githubUnreadable(`the new comment on ${what}`);
          return okResult(`Commented on ${what}: ${c.data.html_url}`, {
            id: c.data.id,
            url: c.data.html_url,
            issueNumber: input.number,
          });
        }),
    );
  },
});
