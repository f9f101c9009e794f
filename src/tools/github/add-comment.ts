import { z } from 'zod';
import { githubRequestFailed } from './errors.js';
import { issueNumberInput, ownerInput, repoInput, repoPath } from './refs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { known, okResult, outputSchema } from '../kit/result.js';

const SCOPES = ['repo'];
const commentBody = z.object({ id: known(z.number()), html_url: known(z.string()) });

export const githubAddComment = defineProviderTool({
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
  // No key: the judge only makes sure a lost answer is reported as "may have been posted".
  write: (input) => ({
    provider: 'GitHub',
    thing: `the comment on issue #${input.number} in ${input.owner}/${input.repo}`,
    verb: 'posting',
    howToCheck: 'read its comments',
  }),
  async run(input, api) {
    const what = `issue #${input.number} in ${input.owner}/${input.repo}`;
    const path = `${repoPath(input.owner, input.repo)}/issues/${input.number}/comments`;
    const r = await api.request('POST', path, { json: { body: input.body } });
    if (r.error) return githubRequestFailed(r, r.error, what);
    const c = commentBody.safeParse(r.body);
    const { id, html_url: url } = c.success ? c.data : {};
    return okResult(`Commented on ${what}${url ? `: ${url}` : ''}`, {
      ...(id !== undefined ? { id } : {}),
      ...(url !== undefined ? { url } : {}),
      issueNumber: input.number,
    });
  },
});
