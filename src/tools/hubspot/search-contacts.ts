import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';

export const HUBSPOT = { id: 'hubspot', name: 'HubSpot' };
const PROPERTIES = ['email', 'firstname', 'lastname', 'company', 'phone'];

const searchBody = z.object({
  total: z.number().optional(),
  results: z
    .array(z.object({ id: z.string(), properties: z.record(z.string(), z.string().nullable()).default({}) }))
    .default([]),
  paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
});

const contact = z.object({
  id: z.string(),
  email: z.string().optional(),
  name: z.string().optional(),
  company: z.string().optional(),
  phone: z.string().optional(),
});

export const hubspotSearchContacts = defineProviderTool({
  name: 'hubspot.searchContacts',
  title: 'Search HubSpot contacts',
  description:
    'Find HubSpot contacts by a word of their name, email, phone or company (e.g. an email address from a ' +
    'support ticket). Returns id, email, name and company of each; pass `after` for the next page.',
  provider: HUBSPOT.id,
  scopes: ['crm.objects.contacts.read'],
  input: z.object({
    query: z.string().trim().min(1).max(200).describe('search text, e.g. "ann@example.com"'),
    limit: z.number().int().min(1).max(100).optional().describe('contacts per page, 1-100; default 10'),
    after: z.string().max(100).optional().describe('from the previous page'),
  }),
  output: outputSchema({
    total: z.number().optional(),
    contacts: z.array(contact).optional(),
    after: z.string().optional().describe('pass back for the next page'),
  }),
  annotations: READ,
  async run(input, api) {
    const r = await api.request('POST', 'crm/v3/objects/contacts/search', {
      json: {
        query: input.query,
        limit: input.limit ?? 10,
        properties: PROPERTIES,
        ...(input.after ? { after: input.after } : {}),
      },
    });
    if (r.error) return requestFailed(HUBSPOT, r.error, `contacts matching "${input.query}"`);
    const parsed = searchBody.safeParse(r.body);
    const body = parsed.success ? parsed.data : { total: undefined, results: [], paging: undefined };
    const contacts = body.results.map(({ id, properties: p }) => {
      const name = [p['firstname'], p['lastname']].filter(Boolean).join(' ');
      return {
        id,
        ...(p['email'] ? { email: p['email'] } : {}),
        ...(name ? { name } : {}),
        ...(p['company'] ? { company: p['company'] } : {}),
        ...(p['phone'] ? { phone: p['phone'] } : {}),
      };
    });
    const after = body.paging?.next?.after;
    const text =
      contacts.length === 0
        ? `No HubSpot contacts match "${input.query}".`
        : contacts
            .slice(0, 10)
            .map((c) => `${c.id} ${c.name ?? ''} <${c.email ?? '?'}>`)
            .join('; ') + '.';
    return okResult(text, {
      ...(body.total !== undefined ? { total: body.total } : {}),
      contacts,
      ...(after ? { after } : {}),
    });
  },
});
