import type { ApiResult } from '../../providers/api-client.js';
import type { ApiRequestError } from '../../providers/types.js';
import { errorResult, type ToolResult } from '../kit/result.js';

/**
 * GitHub's request failures (the broker already handled 401, scope gaps, rate limits and 5xx) turned into
 * results an agent can act on. Messages are ours; GitHub's body text never reaches the agent, only the
 * structured `errors[]` particulars the declaration extracted.
 */
export function githubRequestFailed(
  r: Pick<ApiResult, 'headers'>,
  error: ApiRequestError,
  what: string,
): ToolResult {
  const opts = { provider: 'github', ...(error.details ? { details: error.details } : {}) };
  switch (error.status) {
    case 404:
      return errorResult(
        'not_found',
        `GitHub found no ${what}, or this user cannot see it (GitHub answers 404 for private repositories ` +
          'a user has no access to). Check the owner, repository and number.',
        opts,
      );
    case 410:
      return errorResult('invalid_request', `Issues are disabled for the repository of ${what}.`, opts);
    case 422:
      return errorResult(
        'invalid_request',
        `GitHub rejected the request for ${what} as invalid` +
          `${error.details ? `: ${error.details.join('; ')}` : '.'}`,
        opts,
      );
    case 403: {
      if (error.code === 'sso_required') {
        return errorResult(
          'forbidden',
          `The organization owning ${what} requires SAML single sign-on: the user must authorize toolvault ` +
            'for it on github.com (Settings, Applications).',
          opts,
        );
      }
      // GitHub Apps name the permission they lack (`issues=write`); OAuth Apps hit org or repo policy.
      const permission = r.headers.get('x-accepted-github-permissions');
      return errorResult(
        'forbidden',
        `GitHub refused access to ${what}` +
          (permission
            ? ` (the toolvault GitHub App needs the permission ${permission} on that repository: it may not ` +
              'be installed there).'
            : ' (a repository or organization policy forbids it).'),
        opts,
      );
    }
    default:
      return errorResult(
        error.status >= 400 && error.status < 500 ? 'invalid_request' : 'unknown',
        `GitHub refused the request for ${what} (HTTP ${error.status}, ${error.code}).`,
        opts,
      );
  }
}

/** A 2xx answer without the fields GitHub documents. */
export function githubUnreadable(what: string): ToolResult {
  return errorResult('unknown', `GitHub answered about ${what} in a shape toolvault does not understand.`, {
    provider: 'github',
  });
}
