/**
 * The vocabulary every layer shares (DESIGN.md, "Contract"): closed unions, each a const array usable as
 * `z.enum(...)` and its type. Nothing else defines these names; the bottom of the import graph.
 */

/** A connection's state (DESIGN, "Connection states"); `refreshing` is derived from the lease, never stored. */
export const CONNECTION_STATES = [
  'pending',
  'healthy',
  'refreshing',
  'reauthorization_required',
  'scope_update_required',
  'disabled',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** Why an auth-required result asks the user to act (DESIGN, "The auth-required result"). */
export const AUTH_REASONS = ['not_connected', 'reauthorization_required', 'scope_update_required'] as const;
export type AuthReason = (typeof AUTH_REASONS)[number];

/**
 * DESIGN.md's error kinds: what went wrong with a credential or the way to the provider. One classifier
 * produces them; a connection's stored `lastError` is one of them.
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
 * A tool's own outcomes besides the error kinds (DESIGN, "Other result kinds"): the request itself was
 * refused (`not_found`, `invalid_request`, `forbidden`), the connection is `disabled`, or a keyed write is
 * still running (`in_progress`) or lost its outcome (`outcome_unknown`).
 */
export const TOOL_OUTCOME_KINDS = [
  'not_found',
  'invalid_request',
  'forbidden',
  'disabled',
  'in_progress',
  'outcome_unknown',
] as const;
export type ToolOutcomeKind = (typeof TOOL_OUTCOME_KINDS)[number];

/** The `kind` of an error result: an error kind or a tool outcome kind. */
export const RESULT_KINDS = [...ERROR_KINDS, ...TOOL_OUTCOME_KINDS] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

/**
 * The `status` of every tool result (DESIGN, "Tools"). `approval_required` joins when approvals land
 * (DESIGN, "The approval-required result").
 */
export const RESULT_STATUSES = ['ok', 'pending', 'connected', 'auth_required', 'error'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/**
 * How a write ended, as judged after the call: the provider acted, provably did not act, or may have acted
 * (a lost response, a 5xx after sending). Decides what becomes of an idempotency key.
 */
export const WRITE_OUTCOMES = ['done', 'not_acted', 'uncertain'] as const;
export type WriteOutcomeKind = (typeof WRITE_OUTCOMES)[number];

/**
 * Event types (DESIGN, "Events") that toolvault records. `refresh_failed` is a failed refresh that changed
 * no state; approvals and access changes (API keys, admin sign-ins, verification failures) join here with
 * the features that emit them.
 */
export const EVENT_TYPES = [
  'state_changed',
  'refreshed',
  'refresh_failed',
  'disconnected',
  'alert',
  'recovered',
  'account_mismatch',
  'client_secret_switched',
  'approval_requested',
  'approval_decided',
  'verification_failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
