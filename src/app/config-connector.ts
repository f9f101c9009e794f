import { z } from 'zod';
import { type Env, envChoice } from './config-env.js';

/**
 * The connector (issue 14): toolvault as the OAuth authorization server of its own /mcp, for hosted agents
 * that take no static key. `connector.enabled` (`TOOLVAULT_CONNECTOR=1`) turns it on;
 * `TOOLVAULT_CONNECTOR_REGISTRATION_TOKEN` makes dynamic client registration require that initial access
 * token; `registrationsPerMinute` limits registrations per client address.
 */

export const connectorSchema = z
  .object({
    enabled: z.boolean().optional().describe('serve an OAuth authorization server for /mcp at /as'),
    registrationToken: z
      .string()
      .min(16)
      .optional()
      .describe('initial access token dynamic client registration requires (RFC 7591)'),
    registrationsPerMinute: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('registrations per client address'),
  })
  .strict();

export interface ConnectorConfig {
  enabled: boolean;
  registrationToken: string | undefined;
  registrationsPerMinute: number;
}

export function loadConnector(env: Env, file: z.infer<typeof connectorSchema> | undefined): ConnectorConfig {
  const on = envChoice(env, 'TOOLVAULT_CONNECTOR', ['0', '1', 'true', 'false'] as const);
  const token = env['TOOLVAULT_CONNECTOR_REGISTRATION_TOKEN'] || file?.registrationToken;
  return {
    enabled: on === undefined ? (file?.enabled ?? false) : on === '1' || on === 'true',
    registrationToken: token ? connectorSchema.shape.registrationToken.parse(token) : undefined,
    registrationsPerMinute: file?.registrationsPerMinute ?? 10,
  };
}
