import { z } from 'zod';
import { idempotencyKeyInput, idempotentReplayOutput } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { okResult, outputSchema } from '../kit/result.js';
import { fieldsInput, recordIdInput, SALESFORCE, SCOPES, sobjectInput } from './refs.js';

export const salesforceUpdateRecord = defineProviderTool({
  name: 'salesforce.updateRecord',
  title: 'Update a Salesforce record',
  description:
    'Set fields of one Salesforce record as the user (fields not named stay as they are). Setting the same ' +
    'values again changes nothing, so a retry is safe; an idempotencyKey still returns the first answer.',
  provider: SALESFORCE.id,
  scopes: SCOPES,
  input: z.object({
    sobject: sobjectInput,
    id: recordIdInput,
    fields: fieldsInput,
    idempotencyKey: idempotencyKeyInput,
  }),
  output: outputSchema({
    id: z.string().optional(),
    sobject: z.string().optional(),
    updated: z.array(z.string()).optional().describe('the fields set'),
    idempotentReplay: idempotentReplayOutput,
  }),
  // Overwrites field values: destructive for what was there, idempotent for the same values.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  write: (input) => {
    return {
      key: input.idempotencyKey,
      provider: SALESFORCE.name,
      thing: `the update of ${input.sobject} ${input.id}`,
      verb: 'confirming',
      howToCheck: 'read the record back with salesforce.query',
    };
  },
  async run(input, api) {
    const r = await api.request('PATCH', `sobjects/${input.sobject}/${input.id}`, { json: input.fields });
    if (r.error) return requestFailed(SALESFORCE, r.error, `${input.sobject} ${input.id}`);
    const updated = Object.keys(input.fields);
    return okResult(`Updated ${input.sobject} ${input.id}: ${updated.join(', ')}.`, {
      id: input.id,
      sobject: input.sobject,
      updated,
    });
  },
});
