import { z } from 'zod';
import { githubRequestFailed, githubUnreadable } from './errors.js';
import { cutBody, issueBody, labelNames } from './issue-shape.js';
import { issueNumberInput, ownerInput, repoInput, repoPath } from './refs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { okResult, outputSchema } from '../kit/result.js';

export const githubGetIssue = defineProviderTool({
  name: 'github.getIssue',
  title: 'Get a GitHub issue',
  description:
    'Read one issue (or pull request) of a GitHub repository by number: title, state, author, labels, ' +
    'body (cut at 4000 characters), comment count and dates. Returns not_found when the issue does not ' +
    'exist or the user cannot see the repository.',
  provider: 'github',
  scopes: ['repo'],
  input: z.object({ owner: ownerInput, repo: repoInput, number: issueNumberInput }),
  output: outputSchema({
    number: z.number().optional(),
    url: z.string().optional().describe('the issue on github.com'),
    id: z.number().optional(),
    title: z.string().optional(),
    state: z.string().optional().describe('open or closed'),
    author: z.string().optional().describe('login of who opened it'),
    labels: z.array(z.string()).optional(),
    body: z.string().optional().describe('issue text in GitHub Markdown'),
    bodyTruncated: z.boolean().optional().describe('true when body was cut at 4000 characters'),
    comments: z.number().optional().describe('number of comments'),
    isPullRequest: z.boolean().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    closedAt: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(input, api) {
    const what = `issue #${input.number} in ${input.owner}/${input.repo}`;
    const r = await api.request('GET', `${repoPath(input.owner, input.repo)}/issues/${input.number}`);
    if (r.error) return githubRequestFailed(r, r.error, what);
    const parsed = issueBody.safeParse(r.body);
    if (!parsed.success) return githubUnreadable(what);
    const i = parsed.data;
    return okResult(`#${i.number} ${i.title} (${i.state}): ${i.html_url}`, {
      number: i.number,
      url: i.html_url,
      id: i.id,
      title: i.title,
      state: i.state,
      ...(i.user ? { author: i.user.login } : {}),
      labels: labelNames(i),
      ...cutBody(i.body),
      ...(i.comments !== undefined ? { comments: i.comments } : {}),
      ...(i.pull_request !== undefined ? { isPullRequest: true } : {}),
      ...(i.created_at ? { createdAt: i.created_at } : {}),
      ...(i.updated_at ? { updatedAt: i.updated_at } : {}),
      ...(i.closed_at ? { closedAt: i.closed_at } : {}),
    });
  },
});
