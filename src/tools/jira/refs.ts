import { z } from 'zod';

/** Jira as the tools name it; scopes are Atlassian's classic Jira scopes. */
export const JIRA = { id: 'jira', name: 'Jira' };
export const READ_SCOPES = ['read:jira-work'];
export const WRITE_SCOPES = ['write:jira-work'];

export const issueKeyInput = z
  .string()
  .trim()
  .max(50)
  .regex(/^[A-Z][A-Z0-9_]{0,19}-[1-9][0-9]{0,9}$/, 'an issue key such as "OPS-12"')
  .describe('the issue key, e.g. "OPS-12"');

/** Plain text as an Atlassian Document (Jira Cloud v3 takes rich text only in ADF): one paragraph per line block. */
export function adf(text: string): Record<string, unknown> {
  const paragraphs = text.split(/\n{2,}/).map((p) => ({
    type: 'paragraph',
    content: p
      .split('\n')
      .flatMap((line, i) => [
        ...(i > 0 ? [{ type: 'hardBreak' }] : []),
        ...(line ? [{ type: 'text', text: line }] : []),
      ]),
  }));
  return { type: 'doc', version: 1, content: paragraphs };
}
