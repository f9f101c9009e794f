import { z } from 'zod';
import { githubRequestFailed } from './errors.js';
import { ownerInput, repoInput, repoPath } from './refs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { known, okResult, outputSchema } from '../kit/result.js';

/** `repo` is what OAuth Apps need to create issues in private repositories (GitHub App tokens ignore scopes). */
const SCOPES = ['repo'];

/** The fields of GitHub's `issue` this tool reports, each optional: the issue exists once GitHub says 201. */
const created = z.object({
  number: known(z.number()),
  html_url: known(z.string()),
  id: known(z.number()),
  title: known(z.string()),
});

export const githubCreateIssue = defineProviderTool({
  name: 'github.createIssue',
  title: 'Create a GitHub issue',
  description:
    'Open a new issue in a GitHub repository as the user. Returns its number, url and id. Pass an ' +
    '`idempotencyKey` that names the thing the issue is about (e.g. the id of the message that reported ' +
    'the bug): a repeat with the same key within 24 hours returns the first issue instead of opening a ' +
    'duplicate, even if the earlier call is still running. Without a key every call opens a new issue. ' +
    'Returns auth_required with a link when GitHub is not connected or lacks the permission.',
  provider: 'github',
  scopes: SCOPES,
  input: z.object({
    owner: ownerInput,
    repo: repoInput,
    title: z.string().trim().min(1).max(256).describe('issue title, one line'),
    body: z.string().max(65_536).optional().describe('issue text in GitHub Markdown'),
    labels: z
      .array(z.string().min(1).max(50))
      .max(20)
      .optional()
      .describe('label names to set; GitHub creates labels that do not exist yet'),
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('your stable id for this issue (e.g. a Slack message ts): repeats return the first issue'),
  }),
  output: outputSchema({
    number: z.number().optional().describe('the issue number in its repository'),
    url: z.string().optional().describe('the issue on github.com'),
    id: z.number().optional().describe("GitHub's global id of the issue"),
    repository: z.string().optional().describe('owner/repo'),
    title: z.string().optional(),
    idempotentReplay: z
      .boolean()
      .optional()
      .describe('true when this is the result of an earlier call with the same idempotencyKey'),
  }),
  // Without a key a repeat opens a second issue, so the tool as a whole is not idempotent.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  write: (input) => {
    const where = `${input.owner}/${input.repo}`;
    return {
      key: input.idempotencyKey,
      provider: 'GitHub',
      thing: `the issue in ${where}`,
      verb: 'creating',
      howToCheck: `look for it with github.searchIssues (e.g. "repo:${where} in:title <words of the title>")`,
      replay: (r, at) =>
        `Issue ${r['number'] === undefined ? '' : `#${String(r['number'])} `}was already created for this ` +
        `idempotencyKey (at ${at})${typeof r['url'] === 'string' ? `: ${r['url']}` : ''}. No new issue was opened.`,
    };
  },
  async run(input, api) {
    const where = `${input.owner}/${input.repo}`;
    const r = await api.request('POST', `${repoPath(input.owner, input.repo)}/issues`, {
      json: {
        title: input.title,
        ...(input.body !== undefined ? { body: input.body } : {}),
        ...(input.labels ? { labels: input.labels } : {}),
      },
    });
    if (r.error) return githubRequestFailed(r, r.error, `the repository ${where}`);
    // A 2xx is done even when its body lacks a field GitHub documents: say what is known.
    const issue = created.safeParse(r.body);
    const { number, html_url: url, id, title } = issue.success ? issue.data : {};
    const text =
      number !== undefined && url !== undefined
        ? `Created issue #${number} in ${where}: ${url}`
        : `Created an issue in ${where}${number !== undefined ? ` (#${number})` : ''}; GitHub's answer lacked ` +
          'its number or link, so find it with github.searchIssues.';
    return okResult(text, {
      ...(number !== undefined ? { number } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(id !== undefined ? { id } : {}),
      repository: where,
      title: title ?? input.title,
    });
  },
});
