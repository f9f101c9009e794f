import type { ErrorKind } from './contract.js';

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
