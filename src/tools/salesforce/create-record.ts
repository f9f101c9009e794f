import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput, WRITE } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { fieldsInput, SALESFORCE, SCOPES, sobjectInput } from './refs.js';

const created = z.object({ id: z.string() }).partial();

export const salesforceCreateRecord = defineProviderTool({
  name: 'salesforce.createRecord',
  title: 'Create a Salesforce record',
  description:
    'Create a record of any object (Account, Contact, Case, Task, custom objects) as the user with the given ' +
    'field values. Returns the new id. Pass an idempotencyKey: a repeat within 24 hours returns the first ' +
    'record instead of a duplicate.',
  provider: SALESFORCE.id,
  scopes: SCOPES,
  input: z.object({ sobject: sobjectInput, fields: fieldsInput, idempotencyKey: idempotencyKeyInput }),
  output: outputSchema({
    id: z.string().optional().describe('the new record id'),
    sobject: z.string().optional(),
    idempotentReplay: idempotentReplayOutput,
  }),
  annotations: WRITE,
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: SALESFORCE.name,
      thing: `the ${input.sobject} record`,
      verb: 'creating',
      howToCheck: `look for it with salesforce.query (SELECT Id FROM ${input.sobject} WHERE ...)`,
      replay: (r, at) =>
        `${input.sobject} ${String(r['id'])} was already created for this idempotencyKey (at ${at}).`,
    };
  },
  async run(input, api) {
    const r = await api.request('POST', `sobjects/${input.sobject}`, { json: input.fields });
    if (r.error) return requestFailed(SALESFORCE, r.error, `a new ${input.sobject}`);
    const c = created.safeParse(r.body);
    const id = c.success ? c.data.id : undefined;
    return okResult(id ? `Created ${input.sobject} ${id}.` : `Salesforce created the ${input.sobject}.`, {
      ...(id ? { id } : {}),
      sobject: input.sobject,
    });
  },
});
