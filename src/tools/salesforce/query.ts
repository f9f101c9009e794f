import { z } from 'zod';
import { READ } from '../kit/inputs.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';
import { trimJson } from '../request/trim.js';
import { SALESFORCE, SCOPES } from './refs.js';

const queryBody = z.object({
  totalSize: z.number().optional(),
  done: z.boolean().optional(),
  records: z.array(z.unknown()).default([]),
  nextRecordsUrl: z.string().optional(),
});

/** `/services/data/vNN.N/query/<locator>`: the next page of a query, always under the API base. */
const NEXT = /^\/services\/data\/v\d+\.\d+\/query\/([A-Za-z0-9-]{1,100})$/;

export const salesforceQuery = defineProviderTool({
  name: 'salesforce.query',
  title: 'Query Salesforce (SOQL)',
  description:
    "Run a read-only SOQL SELECT, e.g. \"SELECT Id, Name, Industry FROM Account WHERE Name LIKE 'Acme%' " +
    'LIMIT 20". Returns the records (attributes removed, trimmed for size) and totalSize; when `nextRecordsUrl` ' +
    'comes back, call again with it (and any soql) for the next batch.',
  provider: SALESFORCE.id,
  scopes: SCOPES,
  input: z.object({
    soql: z.string().trim().min(1).max(10_000).describe('a SOQL SELECT statement'),
    nextRecordsUrl: z.string().max(200).optional().describe('from the previous answer, for the next batch'),
  }),
  output: outputSchema({
    totalSize: z.number().optional(),
    records: z.array(z.unknown()).optional(),
    nextRecordsUrl: z.string().optional(),
    truncated: z.boolean().optional().describe('true when records were trimmed for size'),
  }),
  annotations: READ,
  async run(input, api) {
    // SOQL has no writes, but only SELECT is what this tool promises; anything else is a mistake to name.
    if (!/^select\s/i.test(input.soql))
      return errorResult('invalid_request', 'salesforce.query runs SELECT statements only.');
    let path = 'query';
    let query: Record<string, string> | undefined = { q: input.soql };
    if (input.nextRecordsUrl) {
      const m = NEXT.exec(input.nextRecordsUrl);
      if (!m) return errorResult('invalid_request', 'nextRecordsUrl must be the one Salesforce returned.');
      path = `query/${m[1]}`;
      query = undefined;
    }
    const r = await api.request('GET', path, query ? { query } : {});
    if (r.error)
      return requestFailed(SALESFORCE, r.error, 'the query', 'Check object and field names in the SOQL.');
    const parsed = queryBody.safeParse(r.body);
    const body = parsed.success
      ? parsed.data
      : { records: [], totalSize: undefined, nextRecordsUrl: undefined };
    const records = body.records.map((rec) => {
      if (typeof rec !== 'object' || rec === null) return rec;
      const { attributes: _attributes, ...fields } = rec as Record<string, unknown>;
      return fields;
    });
    const trimmed = trimJson(records);
    return okResult(
      `${body.totalSize ?? records.length} records${body.nextRecordsUrl ? '; more with nextRecordsUrl' : ''}.`,
      {
        ...(body.totalSize !== undefined ? { totalSize: body.totalSize } : {}),
        records: Array.isArray(trimmed.data) ? trimmed.data : [],
        ...(body.nextRecordsUrl ? { nextRecordsUrl: body.nextRecordsUrl } : {}),
        truncated: trimmed.truncated,
      },
    );
  },
});
