import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { WRITE_SCOPES, ZENDESK } from './refs.js';

const created = z.object({ ticket: z.object({ id: z.number(), status: z.string().optional() }).partial() });

export const zendeskCreateTicket = defineProviderTool({
  name: 'zendesk.createTicket',
  title: 'Create a Zendesk ticket',
  description:
    'Open a Zendesk ticket as the user: a subject and the first comment, optionally for a requester (by ' +
    'email), a priority and tags. Returns the ticket id. Pass an idempotencyKey: a repeat with the same key ' +
    'within 24 hours returns the first ticket instead of opening another (Zendesk honours it too).',
  provider: ZENDESK.id,
  scopes: WRITE_SCOPES,
  input: z.object({
    subject: z.string().trim().min(1).max(300).describe('one-line subject'),
    body: z.string().min(1).max(65_536).describe('the first comment: what the ticket is about'),
    requesterEmail: z.email().max(254).optional().describe('who the ticket is for; default the user'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional().describe('ticket priority'),
    tags: z.array(z.string().min(1).max(80)).max(20).optional().describe('tags to set'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.number().optional().describe('the new ticket id'),
    ticketStatus: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: ZENDESK.name,
      thing: `the ticket "${input.subject}"`,
      verb: 'creating',
      howToCheck: 'search for it with zendesk.searchTickets',
      replay: (r, at) => `Ticket #${String(r['id'])} was already created for this idempotencyKey (at ${at}).`,
    };
  },
  async run(input, api) {
    const r = await api.request('POST', 'tickets.json', {
      json: {
        ticket: {
          subject: input.subject,
          comment: { body: input.body },
          ...(input.requesterEmail ? { requester: { email: input.requesterEmail } } : {}),
          ...(input.priority ? { priority: input.priority } : {}),
          ...(input.tags ? { tags: input.tags } : {}),
        },
      },
      // Zendesk's own duplicate guard for ticket creation, keyed like ours.
      ...(input.idempotencyKey ? { headers: { 'idempotency-key': input.idempotencyKey } } : {}),
    });
    if (r.error) return requestFailed(ZENDESK, r.error, 'the new ticket');
    const t = created.safeParse(r.body);
    const id = t.success ? t.data.ticket.id : undefined;
    return okResult(id ? `Created Zendesk ticket #${id}.` : 'Zendesk created the ticket.', {
      ...(id !== undefined ? { id } : {}),
      ...(t.success && t.data.ticket.status ? { ticketStatus: t.data.ticket.status } : {}),
    });
  },
});
