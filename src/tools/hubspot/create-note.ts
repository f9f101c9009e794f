import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { HUBSPOT } from './search-contacts.js';

/** HubSpot's predefined association type "note to contact". */
const NOTE_TO_CONTACT = 202;
const SCOPES = ['crm.objects.contacts.write'];
const created = z.object({ id: z.string() }).partial();

export const hubspotCreateNote = defineProviderTool({
  name: 'hubspot.createNote',
  title: 'Add a note to a HubSpot contact',
  description:
    "Add a note to a HubSpot contact's timeline as the user (find the contact id with " +
    'hubspot.searchContacts). Returns the note id. Pass an idempotencyKey naming what the note records (e.g. ' +
    '"zendesk-35436"): a repeat within 24 hours returns the first note.',
  provider: HUBSPOT.id,
  scopes: SCOPES,
  input: z.object({
    contactId: z
      .string()
      .trim()
      .max(30)
      .regex(/^[0-9]+$/, 'a HubSpot contact id (digits)')
      .describe('the contact id'),
    body: z.string().min(1).max(65_536).describe('the note text (HTML allowed)'),
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.string().optional().describe('the note id'),
    contactId: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: HUBSPOT.name,
      thing: `the note on contact ${input.contactId}`,
      verb: 'creating',
      howToCheck: "look at the contact's timeline in HubSpot",
    };
  },
  async run(input, api) {
    const r = await api.request('POST', 'crm/v3/objects/notes', {
      json: {
        properties: {
          hs_note_body: input.body,
          hs_timestamp: new Date().toISOString() /* required; when it was noted */,
        },
        associations: [
          {
            to: { id: input.contactId },
            types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }],
          },
        ],
      },
    });
    if (r.error) return requestFailed(HUBSPOT, r.error, `contact ${input.contactId}`);
    const c = created.safeParse(r.body);
    const id = c.success ? c.data.id : undefined;
    return okResult(`Noted on HubSpot contact ${input.contactId}${id ? ` (note ${id})` : ''}.`, {
      ...(id ? { id } : {}),
      contactId: input.contactId,
    });
  },
});
