import { z } from 'zod';
import { defineTool } from '../kit/define.js';
import { authRequiredResult, errorResult, okResult, outputSchema } from '../kit/result.js';

export const authStart = defineTool({
  name: 'auth.start',
  title: 'Connect an account',
  description:
    'Start connecting the user\'s account at a provider (e.g. "github", "slack"). Returns a link the user ' +
    'must open in a browser to approve access, or status "connected" when the account is already connected ' +
    'with every scope asked for. Give the link to the user, then call auth.status with the returned authId ' +
    'and waitSeconds to wait for them to finish.',
  input: z.object({
    provider: z.string().min(1).describe('provider id, e.g. "github", "slack", "demo"'),
    scopes: z
      .array(z.string().min(1))
      .optional()
      .describe("scopes to ask for; defaults to the provider's configured scopes"),
  }),
  output: outputSchema({
    scopes: z.array(z.string()).optional().describe('scopes granted (when connected)'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, ctx) {
    const consent = ctx.services.consent;
    const p = consent.provider(input.provider);
    if (!p) {
      return errorResult(
        'invalid_request',
        `Unknown provider "${input.provider}". Call auth.status to list the configured ones.`,
      );
    }
    const started = await consent.start(ctx.userId, input.provider, input.scopes);
    if (started.status === 'connected') {
      return okResult(`${p.declaration.displayName} is already connected.`, started, 'connected');
    }
    const fields = {
      provider: started.provider,
      authUrl: started.authUrl,
      authId: started.authId,
      expiresAt: started.expiresAt,
    };
    await ctx.offerLink?.({
      message: `Connect ${p.declaration.displayName} to toolvault`,
      url: started.authUrl,
      elicitationId: started.authId,
    });
    const result = authRequiredResult({
      ...fields,
      providerName: p.declaration.displayName,
      reason: started.reason,
      missingScopes: started.missingScopes,
    });
    return okResult(result.text, { ...fields, reason: started.reason }, 'pending');
  },
});
