import type { z } from 'zod';
import type { AccessFailure } from '../../auth/provider-api.js';
import type { ProviderToolDefinition, ToolContext, ToolDefinition } from './define.js';
import { authRequiredResult, errorResult, type ToolResult } from './result.js';

/** Declares a tool that acts through a provider connection (see {@link ProviderToolDefinition}). */
export function defineProviderTool<S extends z.ZodObject>(def: ProviderToolDefinition<S>): ToolDefinition {
  return def as unknown as ToolDefinition;
}

/**
 * The outside's result for a call that could not reach or finish at the provider: an auth-required result
 * with its link (also offered through URL elicitation when the client supports it), or an error result.
 */
export async function failureResult(
  ctx: ToolContext,
  provider: string,
  f: AccessFailure,
): Promise<ToolResult> {
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
