import { type Logger, pino } from 'pino';
import { logContext } from './log-context.js';

export type { Logger };

/**
 * Every field name that could ever hold a credential. pino censors them wherever they appear (two levels
 * deep), as a second line of defence: code never logs a token on purpose.
 */
export const SECRET_FIELDS = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'token',
  'clientSecret',
  'client_secret',
  'code',
  'code_verifier',
  'codeVerifier',
  'authorization',
  'Authorization',
  'apiKey',
  'api_key',
  'secret',
  'password',
  'previousClientSecret',
  'client_assertion',
  'adminKey',
  'webhookSecret',
  'masterKey',
  'key',
  'cookie',
  'set-cookie',
  'x-api-key',
];
const path = (f: string): string => (/^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`);
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => {
  const p = path(f);
  const sep = p.startsWith('[') ? '' : '.';
  return [p, `*${sep}${p}`, `*.*${sep}${p}`];
});

/**
 * Structured logs to stderr (fd 2): in stdio mode stdout belongs to the MCP protocol.
 * `destination` lets tests capture every line for canary sweeps.
 */
export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { app: 'toolvault' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line written during a tool call or a refresh names it (log-context.ts).
      mixin: () => ({ ...logContext() }),
    },
    destination,
  );
}
