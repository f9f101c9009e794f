import { z } from 'zod';
import { defineTool } from '../kit/define.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';

export const authDisconnect = defineTool({
  name: 'auth.disconnect',
  title: 'Disconnect an account',
  description:
    "Disconnect the user's account at a provider: revoke the grant at the provider where it supports " +
    'revocation, then delete the stored credentials. The user must connect again to use that provider.',
  input: z.object({ provider: z.string().min(1).describe('provider id to disconnect') }),
  output: outputSchema({
    disconnected: z.boolean().optional(),
    revoked: z.boolean().optional().describe('whether the provider confirmed the revocation'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async run(input, ctx) {
    const r = await ctx.services.connections.disconnect(ctx.userId, input.provider);
    if (!r.disconnected) {
      return errorResult('not_found', `There is no ${input.provider} connection to disconnect.`, {
        provider: input.provider,
      });
    }
    const text = r.revoked
      ? `Disconnected ${input.provider}: access revoked at the provider and credentials deleted.`
      : `Disconnected ${input.provider}: credentials deleted${r.revokeError ? ` (the provider could not confirm revocation: ${r.revokeError})` : ''}.`;
    return okResult(text, { provider: input.provider, disconnected: true, revoked: r.revoked });
  },
});
