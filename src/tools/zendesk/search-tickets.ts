import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { READ_SCOPES, summarizeTicket, ticketBody, ticketSummary, ZENDESK } from './refs.js';

const searchBody = z.object({
  results: z.array(z.unknown()).default([]),
  users: z.array(z.object({ id: z.number(), email: z.string().nullable().optional() })).optional(),
  count: z.number().optional(),
  next_page: z.string().nullable().optional(),
});

export const zendeskSearchTickets = defineProviderTool({
  name: 'zendesk.searchTickets',
  title: 'Search Zendesk tickets',
  description:
    'Search tickets with Zendesk search syntax, e.g. "status:open priority:urgent login" or ' +
    '"requester:ann@example.com". Returns small summaries (id, subject, status, priority, requester id and ' +
    'email, the first comment cut at 1000 characters), newest first, a page at a time: call again with ' +
    '`page` set to `nextPage` for more.',
  provider: ZENDESK.id,
  scopes: READ_SCOPES,
  input: z.object({
    query: z.string().trim().min(1).max(500).describe('Zendesk search terms; "type:ticket" is added'),
    page: z.number().int().min(1).max(100).optional().describe('page number, from 1'),
    perPage: z.number().int().min(1).max(100).optional().describe('results per page, 1-100; default 25'),
  }),
  output: outputSchema({
    count: z.number().optional().describe('how many tickets match in all'),
    tickets: z.array(ticketSummary).optional(),
    nextPage: z.number().optional().describe('pass as page for more results'),
  }),
  annotations: READ,
  async run(input, api) {
    const page = input.page ?? 1;
    const r = await api.request('GET', 'search.json', {
      query: {
        query: `type:ticket ${input.query}`,
        page,
        per_page: input.perPage ?? 25,
        sort_by: 'created_at',
        sort_order: 'desc',
        include: 'tickets(users)',
      },
    });
    if (r.error) return requestFailed(ZENDESK, r.error, `tickets matching "${input.query}"`);
    const parsed = searchBody.safeParse(r.body);
    const body = parsed.success ? parsed.data : { results: [], users: [], count: undefined, next_page: null };
    const emails = new Map((body.users ?? []).flatMap((u) => (u.email ? [[u.id, u.email] as const] : [])));
    const tickets = body.results.flatMap((t) => {
      const ok = ticketBody.safeParse(t);
      return ok.success ? [summarizeTicket(ok.data, emails)] : [];
    });
    const more = Boolean(body.next_page);
    const text =
      tickets.length === 0
        ? `No tickets match "${input.query}".`
        : `${body.count ?? tickets.length} tickets; page ${page}: ` +
          tickets
            .slice(0, 10)
            .map((t) => `#${t.id} ${t.subject ?? ''}`)
            .join('; ') +
          (more ? '. More with nextPage.' : '.');
    return okResult(text, {
      ...(body.count !== undefined ? { count: body.count } : {}),
      tickets,
      ...(more ? { nextPage: page + 1 } : {}),
    });
  },
});
