import { z } from 'zod';

/** Zendesk as the tools name it; scopes are Zendesk's OAuth scopes (`read`, `write`). */
export const ZENDESK = { id: 'zendesk', name: 'Zendesk' };
export const READ_SCOPES = ['read'];
export const WRITE_SCOPES = ['write'];

export const ticketIdInput = z.number().int().positive().describe('the Zendesk ticket id, e.g. 35436');

export const ticketBody = z.object({
  id: z.number(),
  subject: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  priority: z.string().nullable().optional(),
  requester_id: z.number().nullable().optional(),
  tags: z.array(z.string()).optional(),
  created_at: z.string().optional(),
  url: z.string().optional(),
});
export type TicketBody = z.infer<typeof ticketBody>;

export const ticketSummary = z.object({
  id: z.number(),
  subject: z.string().optional(),
  status: z.string().optional(),
  priority: z.string().optional(),
  requesterId: z.number().optional(),
  requesterEmail: z.string().optional().describe("the requester's email, when Zendesk sideloaded the user"),
  description: z.string().optional().describe('the first comment, cut at 1000 characters'),
  tags: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
});

export function summarizeTicket(t: TicketBody, emails: Map<number, string>): z.infer<typeof ticketSummary> {
  const email = t.requester_id != null ? emails.get(t.requester_id) : undefined;
  return {
    id: t.id,
    ...(t.subject ? { subject: t.subject } : {}),
    ...(t.status ? { status: t.status } : {}),
    ...(t.priority ? { priority: t.priority } : {}),
    ...(t.requester_id != null ? { requesterId: t.requester_id } : {}),
    ...(email ? { requesterEmail: email } : {}),
    ...(t.description ? { description: t.description.slice(0, 1000) } : {}),
    ...(t.tags?.length ? { tags: t.tags } : {}),
    ...(t.created_at ? { createdAt: t.created_at } : {}),
  };
}
