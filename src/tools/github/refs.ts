import { z } from 'zod';

/**
 * GitHub references as agents give them. Owner and repository names are checked against GitHub's own rules
 * before they go into a path, so `..` or a slash can never steer a request (and the token) elsewhere.
 */

export const ownerInput = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub user or organization name, e.g. "octocat"')
  .describe('repository owner: a user or organization login, e.g. "octocat"');

export const repoInput = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a repository name, e.g. "hello-world"')
  .refine((r) => r !== '.' && r !== '..', 'a repository name, e.g. "hello-world"')
  .describe('repository name without the owner, e.g. "hello-world"');

export const issueNumberInput = z.number().int().positive().describe('the issue number, e.g. 42');

/** `repos/{owner}/{repo}` with each part encoded. */
export function repoPath(owner: string, repo: string): string {
  return `repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}
