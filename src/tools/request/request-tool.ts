import { z } from 'zod';
import type { ProviderApi } from '../../auth/provider-api.js';
import type { CallPolicy, RequestToolSettings } from '../../providers/types.js';
import type { ToolDefinition } from '../kit/define.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { requestFailed } from '../kit/request-failed.js';
import { errorResult, okResult, outputSchema, type ToolResult } from '../kit/result.js';
import { MAX_PATH, pathProblem } from './path-guard.js';
import { trimBody } from './trim.js';

/**
 * `<provider>.request`: any endpoint under a connected provider's API base, for providers (or endpoints) with
 * no hand-written tool. The call travels the same path as every provider tool (the user's connection, the
 * token only in the Authorization header, refresh and retry, auth_required), answers are trimmed for a model,
 * and failures are classified by the provider's declaration. GET and HEAD follow the `read` policy, every
 * other method the `write` policy (`approve` by default); operators set both, or turn the tool off.
 */

const READS = new Set(['GET', 'HEAD']);
const MAX_BODY_CHARS = 100_000;
/** Response headers worth showing a model: paging, rate budget, identity of what was returned. */
const SHOWN_HEADERS = ['content-type', 'link', 'etag', 'last-modified', 'location', 'x-ratelimit-remaining'];

/** What the tool list needs to know about a provider. */
export interface RequestToolProvider {
  id: string;
  displayName: string;
  requestTool?: RequestToolSettings;
}

const DEFAULT_SETTINGS: RequestToolSettings = { enabled: true, read: 'allow', write: 'approve' };

const input = z.object({
  method: z
    .enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])
    .describe('HTTP method; GET and HEAD read, the others may change data'),
  path: z
    .string()
    .min(1)
    .max(MAX_PATH)
    .describe('path under the provider API base, e.g. "users/me"; no absolute URLs, no "..", no "?"'),
  query: z
    .record(z.string().min(1).max(100), z.union([z.string().max(2000), z.number(), z.boolean()]))
    .refine((q) => Object.keys(q).length <= 50, 'at most 50 query parameters')
    .optional()
    .describe('query parameters, e.g. {"limit": 10}'),
  body: z
    .unknown()
    .refine((b) => b === undefined || (JSON.stringify(b) ?? '').length <= MAX_BODY_CHARS, 'body too large')
    .optional()
    .describe('JSON body for POST, PUT and PATCH'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('for writes: your stable id for this change; a repeat within 24 h returns the first result'),
});
type Input = z.infer<typeof input>;

const output = outputSchema({
  httpStatus: z.number().optional().describe("the provider's HTTP status"),
  contentType: z.string().optional(),
  data: z.unknown().optional().describe('the JSON answer as data (trimmed), or a text preview'),
  summary: z.string().optional().describe('what the answer was, when it is not returned as data'),
  truncated: z
    .boolean()
    .optional()
    .describe('true when parts of the answer were left out: narrow the request'),
  headers: z.record(z.string(), z.string()).optional().describe('paging and rate headers of the answer'),
  idempotentReplay: z
    .boolean()
    .optional()
    .describe('true when this repeats an earlier call with the same key'),
});

function policyOf(s: RequestToolSettings, method: string): CallPolicy {
  return READS.has(method) ? s.read : s.write;
}

async function send(p: RequestToolProvider, i: Input, api: ProviderApi): Promise<ToolResult> {
  const r = await api.request(i.method, i.path, {
    ...(i.query ? { query: i.query } : {}),
    ...(i.body !== undefined ? { json: i.body } : {}),
  });
  if (r.error) {
    const failed = requestFailed({ id: p.id, name: p.displayName }, r.error, `${i.method} ${i.path}`);
    return { ...failed, structured: { ...failed.structured, httpStatus: r.status } };
  }
  const contentType = r.headers.get('content-type') ?? '';
  const trimmed = trimBody(r.body, contentType);
  const headers = Object.fromEntries(
    SHOWN_HEADERS.flatMap((h) => {
      const v = r.headers.get(h);
      return v === null ? [] : [[h, v.slice(0, 1000)]];
    }),
  );
  const text =
    `${p.displayName} answered ${r.status} to ${i.method} ${i.path}` +
    (trimmed.summary ? `: ${trimmed.summary}` : '') +
    (trimmed.truncated ? ' (trimmed; narrow the request for the rest).' : '.');
  return okResult(text, {
    httpStatus: r.status,
    ...(contentType ? { contentType } : {}),
    ...(trimmed.data !== undefined ? { data: trimmed.data } : {}),
    ...(trimmed.summary ? { summary: trimmed.summary } : {}),
    truncated: trimmed.truncated,
    headers,
  });
}

/** The request tool of one provider. */
export function requestTool(p: RequestToolProvider): ToolDefinition {
  const s = p.requestTool ?? DEFAULT_SETTINGS;
  const name = `${p.id}.request`;
  return defineProviderTool({
    name,
    title: `Call the ${p.displayName} API`,
    description:
      `Send one HTTP request to the ${p.displayName} API as the user, for what no other ${p.id} tool does. ` +
      '`path` is relative to the API base (absolute URLs and ".." are refused); `query` and a JSON `body` ' +
      'are optional. JSON answers come back as `data`, trimmed for size (`truncated` says so); other ' +
      `content is summarised. GET and HEAD are reads (policy: ${s.read}); other methods may change data ` +
      `(policy: ${s.write}) and take an idempotencyKey. Returns auth_required with a link when ` +
      `${p.displayName} is not connected.`,
    provider: p.id,
    scopes: [],
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    policy: (i) => policyOf(s, i.method),
    // Reads change nothing; every other method is judged as a write and honours the key.
    write: (i) =>
      READS.has(i.method)
        ? undefined
        : {
            key: i.idempotencyKey,
            provider: p.displayName,
            thing: `the result of ${i.method} ${i.path}`,
            verb: 'confirming',
            howToCheck: `read the resource back with a GET through ${name}`,
          },
    async run(i, api) {
      const problem = pathProblem(i.path);
      if (problem) return errorResult('invalid_request', `${name} refused the path: ${problem}.`);
      const read = READS.has(i.method);
      if (read && i.body !== undefined)
        return errorResult('invalid_request', `${i.method} takes no body; use query parameters.`);
      return send(p, i, api);
    },
  });
}

/** Request tools of every provider that has an API base and has not turned the tool off. */
export function requestTools(
  providers: Iterable<RequestToolProvider & { apiBaseUrl?: string | undefined }>,
): ToolDefinition[] {
  return [...providers]
    .filter((p) => p.apiBaseUrl !== undefined && (p.requestTool?.enabled ?? true))
    .map(requestTool);
}
