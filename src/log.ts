import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Every field name that could ever hold a credential. pino censors them wherever they appear (two levels
 * deep), as a second line of defence: code never logs a token on purpose.
 */
const SECRET_FIELDS = [
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
  'secret',
  'password',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

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
    },
    destination,
  );
}
