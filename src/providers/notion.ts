import { standardInspect } from './standard-api.js';
import { obj, readStandardGrant, str } from './standard-grant.js';
import type {
  Account,
  ApiRequestError,
  ApiResponse,
  NormalizedGrant,
  ProviderDeclaration,
  TokenSet,
} from './types.js';

/**
 * Notion public integrations (developers.notion.com, "Authorization"). Token requests authenticate with HTTP
 * Basic and carry a JSON body. Tokens used to live forever with no refresh token; with token rotation on, the
 * token response carries a `refresh_token` and every refresh returns a new one (the old one dies). Both kinds
 * are supported: a token with no `expires_in` is probed every few hours (plan.ts), one with a refresh token is
 * refreshed when a probe or a call finds it dead. Every API request needs a `Notion-Version` header. There are
 * no OAuth scopes: what the integration may do is set on the integration, and which pages it sees is chosen
 * by the user at consent.
 */

/** The API version the tools are written against (data sources instead of databases). */
export const NOTION_VERSION = '2025-09-03';

function body(response: ApiResponse): Record<string, unknown> | undefined {
  const b = response.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b)
    ? (b as Record<string, unknown>)
    : undefined;
}

/** Who consented: `owner.user` for user-owned tokens, in the workspace named by `workspace_id`. */
function ownerAccount(b: Record<string, unknown>): Account | undefined {
  const user = obj(obj(b, 'owner') ?? {}, 'user');
  const id = user && str(user, 'id');
  const team = str(b, 'workspace_id');
  if (!id) return undefined;
  const name = (user && str(user, 'name')) ?? str(obj(user ?? {}, 'person') ?? {}, 'email');
  return { id, ...(name ? { name } : {}), ...(team ? { team } : {}) };
}

export function readNotionGrant(b: Record<string, unknown>, previous?: TokenSet): NormalizedGrant {
  const grant = readStandardGrant(b, previous);
  const account = ownerAccount(b);
  if (account) grant.account = account;
  return grant;
}

/** Notion's error object: `{object: "error", status, code, message}`; the code is safe to show. */
export function notionRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  const code = str(body(response) ?? {}, 'code') ?? `http_${response.status}`;
  return { status: response.status, code };
}

export const notion: ProviderDeclaration = {
  id: 'notion',
  displayName: 'Notion',
  endpoints: {
    authorizeUrl: 'https://api.notion.com/v1/oauth/authorize',
    tokenUrl: 'https://api.notion.com/v1/oauth/token',
    apiBaseUrl: 'https://api.notion.com/v1',
  },
  scopeSeparator: ' ',
  defaultScopes: [],
  // Public integrations are installed by a user into their workspace.
  authorizeParams: { owner: 'user' },
  clientAuth: 'client_secret_basic',
  tokenRequestBody: 'json',
  pkce: true,
  readGrant: (b, previous) => readNotionGrant(b, previous),
  token: { rotatesRefreshToken: true, reuseGraceSec: 0 },
  probe: {
    method: 'GET',
    path: 'users/me',
    judge: (r) => (r.status === 200 ? 'valid' : r.status === 401 ? 'invalid' : 'unknown'),
  },
  api: {
    headers: { 'notion-version': NOTION_VERSION },
    // 401 `unauthorized`, 429 `rate_limited` with Retry-After, 5xx: the standard reading fits.
    inspect: standardInspect,
    requestError: notionRequestError,
  },
};
