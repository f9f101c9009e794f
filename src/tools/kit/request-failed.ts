import type { ResultKind } from '../../contract.js';
import type { ApiRequestError } from '../../providers/types.js';
import { errorResult, type ToolResult } from './result.js';

/**
 * A provider's refusal of the request itself (the declaration's `requestError`: not found, invalid, not
 * allowed) as a result an agent can act on. The code and particulars come from the declaration, already safe
 * to show; the provider's raw body never does.
 */

const KIND_BY_STATUS: Record<number, ResultKind> = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  409: 'invalid_request',
  410: 'not_found',
  413: 'invalid_request',
  422: 'invalid_request',
};

/** The result kind of a provider's request error. */
export function requestErrorKind(error: ApiRequestError): ResultKind {
  if (error.code.includes('not_found')) return 'not_found';
  return (
    KIND_BY_STATUS[error.status] ??
    (error.status >= 400 && error.status < 500 ? 'invalid_request' : 'unknown')
  );
}

export function requestFailed(
  provider: { id: string; name: string },
  error: ApiRequestError,
  what: string,
  hint?: string,
): ToolResult {
  const kind = requestErrorKind(error);
  const lead =
    kind === 'not_found'
      ? `${provider.name} found no ${what}, or this user cannot see it`
      : kind === 'forbidden'
        ? `${provider.name} does not let this user do that with ${what}`
        : `${provider.name} refused the request for ${what}`;
  const status = error.status !== 200 ? `HTTP ${error.status}, ` : '';
  const details = error.details?.length ? `: ${error.details.join('; ')}` : '';
  return errorResult(kind, `${lead} (${status}${error.code})${details}.${hint ? ` ${hint}` : ''}`, {
    provider: provider.id,
    ...(error.details ? { details: error.details } : {}),
  });
}
