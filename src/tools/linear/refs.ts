import { z } from 'zod';
import type { ApiReply, ProviderApi } from '../../auth/provider-api.js';

/** Linear as the tools name it; scopes are Linear's OAuth scopes. */
export const LINEAR = { id: 'linear', name: 'Linear' };
export const READ_SCOPES = ['read'];
export const WRITE_SCOPES = ['write'];

/** A GraphQL call. Errors in `errors[]` come back as `r.error` (the declaration reads them); data as `data`. */
export async function graphql(
  api: ProviderApi,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ r: ApiReply; data: Record<string, unknown> }> {
  const r = await api.request('POST', 'graphql', { json: { query, variables } });
  return { r, data: dataOf(r) };
}

/**
 * A query a write makes before writing (a team by key): through `optional`, so the judge never takes it
 * for the write. Null when the provider could not answer (the caller says so; nothing was written).
 */
export async function lookup(
  api: ProviderApi,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ r: ApiReply; data: Record<string, unknown> } | null> {
  const r = await api.optional('POST', 'graphql', { json: { query, variables } });
  return r ? { r, data: dataOf(r) } : null;
}

function dataOf(r: ApiReply): Record<string, unknown> {
  const data = z.object({ data: z.record(z.string(), z.unknown()) }).safeParse(r.body);
  return data.success ? data.data.data : {};
}

export const issueIdInput = z
  .string()
  .trim()
  .max(64)
  .regex(
    /^([A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,8}|[0-9a-f-]{36})$/i,
    'an identifier such as "ENG-12" or an issue id',
  )
  .describe('the issue identifier, e.g. "ENG-12", or its id');

export const issueNode = z.object({
  id: z.string(),
  identifier: z.string().optional(),
  title: z.string().optional(),
  url: z.string().optional(),
  priority: z.number().optional(),
  state: z.object({ name: z.string() }).nullable().optional(),
  assignee: z.object({ name: z.string() }).nullable().optional(),
  team: z.object({ key: z.string() }).nullable().optional(),
});
