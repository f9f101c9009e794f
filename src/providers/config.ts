import { z } from 'zod';

/**
 * A provider's configuration as the operator writes it (`providers.<id>` in toolvault.config.json, or the
 * env shorthands): credentials, scopes and endpoint overrides, or a whole generic provider. Validated by
 * app/config.ts; read here by the registry.
 */

const url = z.url({ protocol: /^https?$/ });
const requestPolicy = z.enum(['allow', 'approve', 'deny']);
const scopeList = z.array(z.string().min(1));

export const providerConfigSchema = z
  .object({
    type: z.enum(['oauth2', 'oidc']).optional().describe('declares a generic provider with no code'),
    displayName: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    previousClientSecret: z.string().min(1).optional(),
    scopes: scopeList.optional(),
    issuer: url.optional(),
    authorizeUrl: url.optional(),
    tokenUrl: url.optional(),
    revokeUrl: url.optional(),
    userinfoUrl: url.optional(),
    apiBaseUrl: url.optional(),
    scopeSeparator: z.enum([' ', ',']).optional(),
    clientAuth: z.enum(['client_secret_post', 'client_secret_basic']).optional(),
    authorizeParams: z.record(z.string(), z.string()).optional(),
    defaultAccessLifetimeSec: z.number().int().positive().optional(),
    rotatesRefreshToken: z.boolean().optional(),
    reuseGraceSec: z.number().int().nonnegative().optional(),
    refreshIdleLimitSec: z.number().int().positive().optional(),
    refreshAbsoluteLifetimeSec: z.number().int().positive().optional(),
    enabled: z.boolean().optional(),
    subdomain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'an account subdomain, e.g. "acme" for acme.zendesk.com')
      .optional()
      .describe('account subdomain, for providers whose endpoints live on one (Zendesk)'),
    requestTool: z
      .union([
        z.boolean(),
        z
          .object({
            enabled: z.boolean().optional(),
            read: requestPolicy.optional().describe('policy for GET and HEAD (default allow)'),
            write: requestPolicy.optional().describe('policy for every other method (default approve)'),
          })
          .strict(),
      ])
      .optional()
      .describe('the <provider>.request tool: false turns it off'),
  })
  .strict();
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
