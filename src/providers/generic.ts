import type { ProviderConfig } from './config.js';
import { ConfigError } from '../errors.js';
import { standardInspect, userinfoProbe } from './standard-api.js';
import { readStandardGrant } from './standard-grant.js';
import type { Endpoints, ProviderDeclaration } from './types.js';

/**
 * Providers declared in configuration alone (`"type": "oauth2"` or `"oidc"`): standard RFC 6749 token
 * responses and errors, RFC 6750 API signals, RFC 7009 revocation when a `revokeUrl` is known.
 */

function required(id: string, cfg: ProviderConfig, field: 'authorizeUrl' | 'tokenUrl' | 'issuer'): string {
  const value = cfg[field];
  if (!value) {
    const why = field === 'issuer' ? 'required for type "oidc"' : 'required for type "oauth2"';
    throw new ConfigError(`providers.${id}.${field}`, why);
  }
  return value;
}

/**
 * Builds a declaration from configuration. `oauth2` needs `authorizeUrl` and `tokenUrl`; `oidc` needs
 * `issuer` and fills the endpoints it was not given from discovery at start-up (see
 * {@link applyDiscoveredMetadata}); until then they are empty strings. Throws ConfigError naming the field.
 */
export function genericDeclaration(id: string, cfg: ProviderConfig): ProviderDeclaration {
  const type = cfg.type;
  if (!type)
    throw new ConfigError(
      `providers.${id}.type`,
      'must be "oauth2" or "oidc" for a provider that is not built in',
    );
  const oidc = type === 'oidc';
  const endpoints: Endpoints = oidc
    ? {
        issuer: required(id, cfg, 'issuer'),
        authorizeUrl: cfg.authorizeUrl ?? '',
        tokenUrl: cfg.tokenUrl ?? '',
      }
    : { authorizeUrl: required(id, cfg, 'authorizeUrl'), tokenUrl: required(id, cfg, 'tokenUrl') };
  if (!oidc && cfg.issuer) endpoints.issuer = cfg.issuer;
  if (cfg.revokeUrl) endpoints.revokeUrl = cfg.revokeUrl;
  if (cfg.userinfoUrl) endpoints.userinfoUrl = cfg.userinfoUrl;
  if (cfg.apiBaseUrl) endpoints.apiBaseUrl = cfg.apiBaseUrl;

  const declaration: ProviderDeclaration = {
    id,
    displayName: cfg.displayName ?? id,
    endpoints,
    scopeSeparator: cfg.scopeSeparator ?? ' ',
    defaultScopes: oidc ? ['openid', 'offline_access'] : [],
    // RFC 6749 §2.3.1: servers MUST support HTTP Basic; OIDC Core §9 makes it the default method too.
    clientAuth: cfg.clientAuth ?? 'client_secret_basic',
    pkce: true,
    readGrant: (body, previous) => readStandardGrant(body, previous),
    token: {
      rotatesRefreshToken: cfg.rotatesRefreshToken ?? false,
      reuseGraceSec: cfg.reuseGraceSec ?? 0,
      ...(cfg.defaultAccessLifetimeSec === undefined
        ? {}
        : { defaultAccessLifetimeSec: cfg.defaultAccessLifetimeSec }),
      ...(cfg.refreshIdleLimitSec === undefined ? {} : { refreshIdleLimitSec: cfg.refreshIdleLimitSec }),
      ...(cfg.refreshAbsoluteLifetimeSec === undefined
        ? {}
        : { refreshAbsoluteLifetimeSec: cfg.refreshAbsoluteLifetimeSec }),
    },
    api: { inspect: standardInspect },
  };
  if (oidc) {
    declaration.discovery = true;
    // OIDC Core §11: a refresh token is issued only when offline_access is requested.
    declaration.offlineScopes = ['offline_access'];
    declaration.probe = userinfoProbe;
  } else if (cfg.userinfoUrl) {
    declaration.probe = userinfoProbe;
  }
  if (cfg.authorizeParams) declaration.authorizeParams = { ...cfg.authorizeParams };
  if (cfg.revokeUrl) declaration.revocation = 'rfc7009';
  return declaration;
}

/** The endpoint fields of RFC 8414 / OIDC Discovery metadata that toolvault uses. */
export interface DiscoveredMetadata {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  revocation_endpoint?: string;
  userinfo_endpoint?: string;
}

/**
 * Fills a discovery declaration's endpoints from the issuer's metadata (e.g. openid-client's
 * `config.serverMetadata()`); endpoints set explicitly in configuration win. Throws ConfigError naming the
 * field when the metadata lacks an endpoint that was not configured either.
 */
export function applyDiscoveredMetadata(
  declaration: ProviderDeclaration,
  metadata: DiscoveredMetadata,
): ProviderDeclaration {
  const e = declaration.endpoints;
  const endpoints: Endpoints = {
    ...e,
    authorizeUrl: e.authorizeUrl || metadata.authorization_endpoint || '',
    tokenUrl: e.tokenUrl || metadata.token_endpoint || '',
  };
  for (const field of ['authorizeUrl', 'tokenUrl'] as const) {
    if (!endpoints[field]) {
      throw new ConfigError(
        `providers.${declaration.id}.${field}`,
        'not in the issuer metadata; set it explicitly',
      );
    }
  }
  const revokeUrl = e.revokeUrl ?? metadata.revocation_endpoint;
  if (revokeUrl) endpoints.revokeUrl = revokeUrl;
  const userinfoUrl = e.userinfoUrl ?? metadata.userinfo_endpoint;
  if (userinfoUrl) endpoints.userinfoUrl = userinfoUrl;
  const out: ProviderDeclaration = { ...declaration, endpoints };
  if (endpoints.revokeUrl && !out.revocation) out.revocation = 'rfc7009';
  return out;
}
