import type { z } from 'zod';
import type { ApiClient } from '../../providers/api-client.js';
import { defineTool, type ToolContext, type ToolDefinition } from './define.js';
import { authRequiredResult, errorResult, type ToolResult } from './result.js';

/**
 * A tool that acts through a provider connection. Its `run` gets an API client that injects the user's
 * token; credential trouble (expiry, revocation, scope gaps, rate limits, outages) never reaches `run` —
 * the access broker turns it into a refresh and retry, an auth_required result, or an error result.
 */
export interface ProviderToolDefinition<S extends z.ZodObject> extends Omit<
  ToolDefinition<S>,
  'run' | 'provider' | 'scopes'
> {
  provider: string;
  scopes: string[];
  run(input: z.infer<S>, api: ApiClient, ctx: ToolContext): Promise<ToolResult>;
}

/**
 * Runs `run` through the access broker for `provider` with `scopes` and turns every failure into the
 * outside's result. For tools that need to act around the call (github.createIssue's idempotency key).
 */
export async function callProvider(
  ctx: ToolContext,
  provider: string,
  scopes: string[],
  run: (api: ApiClient) => Promise<ToolResult>,
): Promise<ToolResult> {
  const r = await ctx.services.access.call(ctx.userId, provider, scopes, run);
  if (r.ok) return r.value;
  const f = r.failure;
  if (f.type === 'auth_required') {
    const s = f.start;
    await ctx.offerLink?.({
      message: `Connect ${f.providerName} to toolvault`,
      url: s.authUrl,
      elicitationId: s.authId,
    });
    return authRequiredResult({
      provider: s.provider,
      providerName: f.providerName,
      reason: s.reason,
      authUrl: s.authUrl,
      authId: s.authId,
      expiresAt: s.expiresAt,
      missingScopes: s.missingScopes,
    });
  }
  return errorResult(f.kind, f.message, {
    retryable: f.retryable,
    provider,
    ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}),
  });
}

export function defineProviderTool<S extends z.ZodObject>(def: ProviderToolDefinition<S>): ToolDefinition {
  return defineTool<S>({
    ...def,
    run: (input, ctx) => callProvider(ctx, def.provider, def.scopes, (api) => def.run(input, api, ctx)),
  });
}
