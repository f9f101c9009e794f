import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { ticketIdInput, WRITE_SCOPES, ZENDESK } from './refs.js';

export const zendeskAddComment = defineProviderTool({
  name: 'zendesk.addComment',
  title: 'Comment on a Zendesk ticket',
  description:
    'Add a comment to a Zendesk ticket as the user: an internal note by default, or a public reply the ' +
    'requester sees with `public: true`. Pass an idempotencyKey so a retried call does not comment twice.',
  provider: ZENDESK.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    ticketId: ticketIdInput,
    body: z.string().min(1).max(65_536).describe('the comment text'),
    public: z
      .boolean()
      .optional()
      .describe('true: a reply the requester sees; default false (internal note)'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    ticketId: z.number().optional(),
    public: z.boolean().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: ZENDESK.name,
      thing: `the comment on ticket #${input.ticketId}`,
      verb: 'posting',
      howToCheck: 'read the ticket in Zendesk',
    };
  },
  async run(input, api) {
    const isPublic = input.public ?? false;

    const r = await api.request('PUT', `tickets/${input.ticketId}.json`, {
      json: { ticket: { comment: { body: input.body, public: isPublic } } },
    });
    if (r.error) return requestFailed(ZENDESK, r.error, `ticket #${input.ticketId}`);
    return okResult(
      `${isPublic ? 'Replied on' : 'Added an internal note to'} Zendesk ticket #${input.ticketId}.`,
      { ticketId: input.ticketId, public: isPublic },
    );
  },
});
