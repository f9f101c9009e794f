import { z } from 'zod';
import { CONNECTION_STATES, ERROR_KINDS } from '../../contract.js';
import { defineTool } from '../kit/define.js';
import { errorResult, okResult, outputSchema } from '../kit/result.js';

/** The longest a single call may wait: below the SDK client's default 60 s request timeout. */
export const MAX_WAIT_SECONDS = 50;

const connection = z.object({
  provider: z.string(),
  state: z.enum(CONNECTION_STATES),
  scopes: z.array(z.string()),
  account: z.object({ id: z.string(), name: z.string().optional(), team: z.string().optional() }).nullable(),
  accessExpiresAt: z.string().nullable(),
  lastRefreshAt: z.string().nullable(),
  nextRefreshAt: z.string().nullable(),
  nextCheckAt: z
    .string()
    .nullable()
    .describe('when toolvault next refreshes or probes this connection; null when it waits for the user'),
  refreshExpiresAt: z
    .string()
    .nullable()
    .describe('when the grant ends whatever its use: the user must reconnect before then'),
  lastError: z.object({ kind: z.enum(ERROR_KINDS), at: z.string() }).nullable(),
});

export const authStatus = defineTool({
  name: 'auth.status',
  title: 'Connection status',
  description:
    "List the user's connections with their state (healthy, reauthorization_required, ...), scopes and " +
    'token health, plus the providers that can be connected. With authId (from auth.start or an ' +
    'auth_required result) and waitSeconds, first waits until that consent is finished or the time is up.',
  input: z.object({
    provider: z.string().min(1).optional().describe('only this provider'),
    authId: z.string().min(1).optional().describe('a consent to report on'),
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(
        `with authId: wait up to this many seconds (max ${MAX_WAIT_SECONDS}) for the consent to finish`,
      ),
  }),
  output: outputSchema({
    connections: z.array(connection).optional(),
    providers: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
    consent: z
      .object({
        authId: z.string(),
        provider: z.string(),
        state: z.enum(['pending', 'completed', 'failed', 'expired']),
        error: z.string().nullable(),
      })
      .optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(input, ctx) {
    const { consent: consents, connections } = ctx.services;
    let consent:
      | {
          authId: string;
          provider: string;
          state: 'pending' | 'completed' | 'failed' | 'expired';
          error: string | null;
        }
      | undefined;
    if (input.authId) {
      const row = await consents.waitFor(input.authId, (input.waitSeconds ?? 0) * 1000, ctx.userId);
      // Another user's consent is reported exactly like one that does not exist.
      if (!row || row.userId !== ctx.userId)
        return errorResult('invalid_request', `Unknown authId "${input.authId}".`);
      const state =
        row.status === 'completed' || row.status === 'failed'
          ? row.status
          : consents.isExpired(row)
            ? 'expired'
            : 'pending';
      consent = { authId: row.authId, provider: row.provider, state, error: row.error };
    }
    const list = await connections.list(ctx.userId, input.provider);
    const providers = consents.providerList();
    const summary = list.length
      ? list.map((c) => `${c.provider}: ${c.state}`).join('; ')
      : 'no connections yet';
    const text = consent
      ? `Consent ${consent.authId} is ${consent.state}. Connections: ${summary}.`
      : `Connections: ${summary}.`;
    return okResult(text, { connections: list, providers, ...(consent ? { consent } : {}) });
  },
});
