import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';
import { adf, issueKeyInput, JIRA, WRITE_SCOPES } from './refs.js';

const transitions = z.object({
  transitions: z
    .array(
      z.object({ id: z.string(), name: z.string(), to: z.object({ name: z.string() }).partial().optional() }),
    )
    .default([]),
});

export const jiraTransitionIssue = defineProviderTool({
  name: 'jira.transitionIssue',
  title: 'Move a Jira issue to another status',
  description:
    'Move a Jira issue through its workflow, e.g. to "In Progress" or "Done": give the transition or target ' +
    'status by name (or the transition id). When no transition matches, the answer lists the ones available ' +
    'from the current status. Optionally adds a comment with the move.',
  provider: JIRA.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    issueKey: issueKeyInput,
    transition: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .describe('transition name, target status name, or transition id'),
    comment: z.string().max(32_000).optional().describe('a comment to add with the move'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    issueKey: z.string().optional(),
    transitionId: z.string().optional(),
    newStatus: z.string().optional().describe('the status the issue moved to'),
    available: z.array(z.string()).optional().describe('transitions available, when none matched'),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: JIRA.name,
      thing: `the move of ${input.issueKey}`,
      verb: 'confirming',
      howToCheck: `read its status with jira.searchIssues (key = ${input.issueKey})`,
    };
  },
  async run(input, api) {
    const path = `rest/api/3/issue/${input.issueKey}/transitions`;

    // A read before the write: `optional`, so a failure here is not taken for a write that may have acted.
    const list = await api.optional('GET', path);
    if (!list)
      return errorResult('transient', `Jira did not list the transitions of ${input.issueKey}; try again.`, {
        retryable: true,
        provider: JIRA.id,
      });
    if (list.error) return requestFailed(JIRA, list.error, `issue ${input.issueKey}`);
    const parsed = transitions.safeParse(list.body);
    const all = parsed.success ? parsed.data.transitions : [];
    const want = input.transition.toLowerCase();
    const t =
      all.find((x) => x.id === input.transition) ??
      all.find((x) => x.name.toLowerCase() === want) ??
      all.find((x) => x.to?.name?.toLowerCase() === want);
    if (!t) {
      const available = all.map((x) =>
        x.to?.name && x.to.name !== x.name ? `${x.name} (to ${x.to.name})` : x.name,
      );
      const r = errorResult(
        'invalid_request',
        `${input.issueKey} has no transition "${input.transition}" from its current status. Available: ${available.join(', ') || 'none'}.`,
        { provider: JIRA.id },
      );
      return { ...r, structured: { ...r.structured, available } };
    }
    const r = await api.request('POST', path, {
      json: {
        transition: { id: t.id },
        ...(input.comment ? { update: { comment: [{ add: { body: adf(input.comment) } }] } } : {}),
      },
    });
    if (r.error) return requestFailed(JIRA, r.error, `issue ${input.issueKey}`);
    const newStatus = t.to?.name ?? t.name;
    return okResult(`Moved ${input.issueKey} to ${newStatus}.`, {
      issueKey: input.issueKey,
      transitionId: t.id,
      newStatus,
    });
  },
});
