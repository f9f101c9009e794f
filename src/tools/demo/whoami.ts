import { z } from 'zod';
import { defineProviderTool } from '../kit/provider-tool.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';

/**
 * The demo provider's one action: ask its userinfo endpoint who the connected account is. It travels the
 * same path as every provider tool (fresh token, refresh and retry, auth_required), so a newcomer can watch
 * toolvault refresh and rotate the demo's 5-minute tokens.
 */
export const demoWhoami = defineProviderTool({
  name: 'demo.whoami',
  title: 'Who am I (demo)',
  description:
    'Return the account connected to the built-in demo provider, read from its userinfo endpoint with the ' +
    "user's stored token. Returns auth_required with a link when the demo provider is not connected.",
  provider: 'demo',
  scopes: ['openid'],
  input: z.object({}),
  output: outputSchema({
    subject: z.string().optional().describe('the account id at the demo provider'),
    name: z.string().optional().describe('the display name the user signed in with'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(_input, api) {
    const r = await api.request('GET', 'me');
    const body = z.object({ sub: z.string(), name: z.string().optional() }).safeParse(r.body);
    if (r.error || !body.success)
      return errorResult('unknown', `The demo provider answered ${r.status} without a profile.`);
    const { sub, name } = body.data;
    return okResult(`Connected as ${name ?? sub}.`, { subject: sub, ...(name ? { name } : {}) });
  },
});
