/**
 * DESIGN.md's error kinds. One classifier produces them; everything the outside sees is built from them.
 */
export const ERROR_KINDS = [
  'expired_access',
  'revoked',
  'rotation_conflict',
  'config_error',
  'missing_scope',
  'rate_limited',
  'transient',
  'unknown',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Whether a caller may usefully try the same thing again later. */
export const RETRYABLE: Record<ErrorKind, boolean> = {
  expired_access: true,
  revoked: false,
  rotation_conflict: true,
  config_error: false,
  missing_scope: false,
  rate_limited: true,
  transient: true,
  unknown: false,
};

/**
 * An error with a kind. Its message must never hold a token or a raw provider body; the provider's error
 * code (e.g. `invalid_grant`) is kept apart in `code` so logs and events can name it.
 */
export class ToolvaultError extends Error {
  override readonly name: string = 'ToolvaultError';
  readonly kind: ErrorKind;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { code?: string; status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.code = opts.code;
    this.status = opts.status;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** A configuration value that is missing or invalid; `field` names it (e.g. `providers.slack.clientId`). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind = 'config_error' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
