import { z } from 'zod';

/**
 * The part of GitHub's `issue` schema the tools rely on, validated, and the small object agents get back.
 * Bodies are cut to keep results small; `bodyTruncated` says so.
 */

const MAX_BODY = 4000;

export const issueBody = z.object({
  id: z.number(),
  number: z.number(),
  html_url: z.string(),
  title: z.string(),
  state: z.string(),
  body: z.string().nullable().optional(),
  user: z.object({ login: z.string() }).nullable().optional(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().optional() })])).default([]),
  comments: z.number().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  closed_at: z.string().nullable().optional(),
  repository_url: z.string().optional(),
  pull_request: z.unknown().optional(),
});
export type IssueBody = z.infer<typeof issueBody>;

export function labelNames(i: IssueBody): string[] {
  return i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean);
}

/** `owner/repo` from an API `repository_url` (`.../repos/{owner}/{repo}`). */
export function repositoryOf(i: IssueBody): string | undefined {
  const m = /\/repos\/([^/]+\/[^/]+)$/.exec(i.repository_url ?? '');
  return m?.[1];
}

export const issueSummary = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string().describe('open or closed'),
  url: z.string().describe('the issue on github.com'),
  repository: z.string().optional().describe('owner/repo'),
  author: z.string().optional().describe('login of who opened it'),
  labels: z.array(z.string()),
  isPullRequest: z.boolean().optional(),
  createdAt: z.string().optional(),
});

export function summarize(i: IssueBody): z.infer<typeof issueSummary> {
  const repository = repositoryOf(i);
  return {
    number: i.number,
    title: i.title,
    state: i.state,
    url: i.html_url,
    ...(repository ? { repository } : {}),
    ...(i.user ? { author: i.user.login } : {}),
    labels: labelNames(i),
    ...(i.pull_request !== undefined ? { isPullRequest: true } : {}),
    ...(i.created_at ? { createdAt: i.created_at } : {}),
  };
}

export function cutBody(body: string | null | undefined): { body: string; bodyTruncated?: true } {
  const text = body ?? '';
  return text.length > MAX_BODY ? { body: text.slice(0, MAX_BODY), bodyTruncated: true } : { body: text };
}
