import { z } from 'zod';
import {
  AUTH_REASONS,
  type AuthReason,
  RESULT_KINDS,
  RESULT_STATUSES,
  type ResultKind,
  type ResultStatus,
} from '../../contract.js';

/**
 * The one place results for the outside are built. Every tool's output schema is one object with a
 * `status` field and optional fields for each outcome, because the SDK v1 client validates
 * `structuredContent` against the output schema even when `isError` is true.
 */

/** Fields of the auth-required result (DESIGN.md), shared by every tool's output schema. */
const authRequiredShape = {
  provider: z.string().optional().describe('provider id the result is about'),
  reason: z.enum(AUTH_REASONS).optional().describe('why the user must act'),
  authUrl: z.string().optional().describe('link the user opens in a browser to grant or restore access'),
  authId: z.string().optional().describe('id to pass to auth.status to wait for the consent'),
  expiresAt: z.string().optional().describe('when the link stops working (ISO 8601)'),
  missingScopes: z.array(z.string()).optional().describe('scopes the grant lacks'),
};

/** Fields of an error result. `kind` is one of DESIGN.md's error kinds or a tool outcome such as `not_found`. */
const errorShape = {
  kind: z.enum(RESULT_KINDS).optional().describe('error kind, e.g. transient, rate_limited, not_found'),
  retryable: z.boolean().optional().describe('whether trying again later may succeed'),
  retryAfterSeconds: z.number().optional().describe('seconds to wait before retrying'),
  message: z.string().optional().describe('what went wrong, for the user or the agent'),
  details: z
    .array(z.string())
    .optional()
    .describe('particulars of a rejected request, e.g. "Issue.title: missing_field"'),
};

/** An output schema: status, the shared outcome fields, and the tool's own (all optional). */
export function outputSchema<T extends z.ZodRawShape>(fields: T) {
  return z.object({
    status: z.enum(RESULT_STATUSES),
    ...authRequiredShape,
    ...errorShape,
    ...fields,
  });
}

/** A result for the outside; `kind` (errors) and `reason` (auth required) are typed for the audit trail. */
export interface ToolResult {
  isError: boolean;
  text: string;
  structured: { status: ResultStatus; kind?: ResultKind; reason?: AuthReason } & Record<string, unknown>;
}

export function okResult(
  text: string,
  fields: Record<string, unknown>,
  status: ResultStatus = 'ok',
): ToolResult {
  return { isError: false, text, structured: { status, ...fields } };
}

export interface AuthRequiredFields {
  provider: string;
  providerName: string;
  reason: AuthReason;
  authUrl: string;
  authId: string;
  expiresAt: string;
  missingScopes?: string[];
}

const WHY: Record<AuthReason, (name: string, missing: string[]) => string> = {
  not_connected: (name) => `toolvault is not connected to ${name} for this user yet.`,
  reauthorization_required: (name) =>
    `The ${name} connection was revoked or has expired and only the user can restore it.`,
  scope_update_required: (name, missing) =>
    `The ${name} connection lacks the permission${missing.length === 1 ? '' : 's'} ${missing.join(', ')} this action needs.`,
};

export function authRequiredResult(f: AuthRequiredFields): ToolResult {
  const missing = f.missingScopes ?? [];
  const text =
    `${WHY[f.reason](f.providerName, missing)} Ask the user to open ${f.authUrl} in a browser and approve ` +
    `access (the link works once and expires at ${f.expiresAt}); then call auth.status with authId ` +
    `"${f.authId}" and waitSeconds to continue, or retry this action.`;
  return {
    isError: true,
    text,
    structured: {
      status: 'auth_required',
      provider: f.provider,
      reason: f.reason,
      authUrl: f.authUrl,
      authId: f.authId,
      expiresAt: f.expiresAt,
      ...(f.reason === 'scope_update_required' ? { missingScopes: missing } : {}),
    },
  };
}

export function errorResult(
  kind: ResultKind,
  message: string,
  opts: { retryable?: boolean; retryAfterSeconds?: number; provider?: string; details?: string[] } = {},
): ToolResult {
  return {
    isError: true,
    text: message,
    structured: {
      status: 'error',
      kind,
      retryable: opts.retryable ?? false,
      ...(opts.retryAfterSeconds !== undefined ? { retryAfterSeconds: opts.retryAfterSeconds } : {}),
      ...(opts.provider ? { provider: opts.provider } : {}),
      message,
      ...(opts.details && opts.details.length > 0 ? { details: opts.details } : {}),
    },
  };
}

/**
 * A field of a provider's 2xx answer: kept when it has the documented type, dropped otherwise. A write the
 * provider confirmed is done even when its answer lacks a field (DESIGN, "Other result kinds"): the tool
 * reports what is known rather than "may or may not exist".
 */
export function known<T extends z.ZodType>(t: T) {
  return t.optional().catch(undefined);
}
