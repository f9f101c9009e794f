import { type ErrorKind, RETRYABLE, type ToolOutcomeKind } from '../contract.js';
import type { ApiSignal } from '../providers/types.js';
import type { AccessFailure } from './provider-api.js';

/** How the access broker words a call it cannot complete: one message per kind, never a provider's body. */

export type Failed = { ok: false; failure: AccessFailure };

/**
 * The longest wait passed on to an agent. Not a backoff (toolvault's own retries stay capped at 60 s): the
 * provider's real wait, so an agent told "GitHub's limit resets in an hour" does not retry every minute.
 */
const RETRY_REPORT_CAP_SEC = 24 * 3600;

/** The failure a call ends with on a signal the API client could not resolve itself. */
export function signalFailure(s: ApiSignal, name: string): Failed {
  const wait =
    s.retryAfterSeconds === undefined
      ? undefined
      : Math.min(RETRY_REPORT_CAP_SEC, Math.max(1, Math.ceil(s.retryAfterSeconds)));
  const messages: Partial<Record<ErrorKind, string>> = {
    rate_limited: `${name} is rate limiting these requests${wait ? `; retry in ${wait} s` : ''}.`,
    transient: `${name} did not answer properly (${s.code ?? 'temporary failure'}); the request may be retried later.`,
    expired_access: `${name} rejected the credential even after a refresh.`,
    revoked: `${name} rejected the credential even after a refresh.`,
    config_error: `toolvault's ${name} configuration was rejected (${s.code ?? 'config error'}).`,
  };
  return fail(
    s.kind,
    messages[s.kind] ?? `${name} returned an unexpected error (${s.code ?? s.kind}).`,
    wait,
    s.code,
  );
}

export function refreshMessage(kind: ErrorKind, name: string, waitSec?: number): string {
  const retry = waitSec ? `try again in ${waitSec} s` : 'try again shortly';
  if (kind === 'config_error')
    return `toolvault could not refresh the ${name} credential because of a configuration problem; an operator has been alerted.`;
  if (kind === 'rate_limited') return `${name} is rate limiting token refreshes; ${retry}.`;
  if (kind === 'transient') return `${name} is not answering token refreshes right now; ${retry}.`;
  return `toolvault could not refresh the ${name} credential right now (${kind}); ${retry}.`;
}

/**
 * What a caller is told while a failed refresh backs off. The connection is not downgraded, so anything
 * but a configuration problem or a rate limit is, for the caller, a transient outage.
 */
export function duringBackoff(kind: ErrorKind | undefined): ErrorKind {
  return kind === 'config_error' || kind === 'rate_limited' ? kind : 'transient';
}

export function fail(
  kind: ErrorKind | Extract<ToolOutcomeKind, 'disabled'>,
  message: string,
  retryAfterSeconds?: number,
  code?: string,
): Failed {
  const retryable = kind === 'disabled' ? false : RETRYABLE[kind];
  return {
    ok: false,
    failure: {
      type: 'error',
      kind,
      message,
      retryable,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(code ? { code } : {}),
    },
  };
}
