import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';
import { graphql, issueNode, LINEAR, lookup, WRITE_SCOPES } from './refs.js';

const TEAM = `query Team($key: String!) { teams(filter: { key: { eq: $key } }) { nodes { id key } } }`;
const CREATE = `mutation Create($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier title url } }
}`;
const teams = z.object({ nodes: z.array(z.object({ id: z.string() })).default([]) });
const payload = z.object({ success: z.boolean().optional(), issue: issueNode.nullable().optional() });

export const linearCreateIssue = defineProviderTool({
  name: 'linear.createIssue',
  title: 'Create a Linear issue',
  description:
    'Create a Linear issue as the user in a team (by key, e.g. "ENG"), with a title, an optional Markdown ' +
    'description and priority (0 none, 1 urgent … 4 low). Returns the identifier (e.g. ENG-12) and url. Pass ' +
    'an idempotencyKey naming what the issue is about: a repeat within 24 hours returns the first issue.',
  provider: LINEAR.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    teamKey: z
      .string()
      .trim()
      .max(10)
      .regex(/^[A-Z][A-Z0-9]{0,9}$/i, 'a team key such as "ENG"')
      .describe('the team key, e.g. "ENG"'),
    title: z.string().trim().min(1).max(255).describe('one-line title'),
    description: z.string().max(50_000).optional().describe('Markdown'),
    priority: z.number().int().min(0).max(4).optional().describe('0 none, 1 urgent, 2 high, 3 medium, 4 low'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.string().optional(),
    identifier: z.string().optional().describe('e.g. ENG-12'),
    url: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: LINEAR.name,
      thing: `the issue in team ${input.teamKey}`,
      verb: 'creating',
      howToCheck: 'look for it with linear.searchIssues',
      replay: (r, at) =>
        `Issue ${String(r['identifier'] ?? r['id'])} was already created for this idempotencyKey (at ${at}).`,
    };
  },
  async run(input, api) {
    const team = await lookup(api, TEAM, { key: input.teamKey.toUpperCase() });
    if (!team)
      return errorResult(
        'transient',
        `Linear did not answer the team lookup for ${input.teamKey}; try again.`,
        {
          retryable: true,
          provider: LINEAR.id,
        },
      );
    if (team.r.error) return requestFailed(LINEAR, team.r.error, `team ${input.teamKey}`);
    const t = teams.safeParse(team.data['teams']);
    const teamId = t.success ? t.data.nodes[0]?.id : undefined;
    if (!teamId)
      return errorResult(
        'not_found',
        `Linear has no team with key ${input.teamKey} that this user can see.`,
        { provider: LINEAR.id },
      );
    const { r, data } = await graphql(api, CREATE, {
      input: {
        teamId,
        title: input.title,
        ...(input.description ? { description: input.description } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
      },
    });
    if (r.error) return requestFailed(LINEAR, r.error, `the new issue in ${input.teamKey}`);
    const p = payload.safeParse(data['issueCreate']);
    const issue = p.success ? p.data.issue : undefined;
    return okResult(
      issue?.identifier
        ? `Created Linear issue ${issue.identifier}: ${issue.url ?? ''}`
        : 'Linear created the issue.',
      {
        ...(issue ? { id: issue.id } : {}),
        ...(issue?.identifier ? { identifier: issue.identifier } : {}),
        ...(issue?.url ? { url: issue.url } : {}),
      },
    );
  },
});
