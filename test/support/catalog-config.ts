import type { ProviderConfig } from '../../src/app/config.js';
import type { CatalogFake } from '../fakes/catalog-fake.js';

/**
 * toolvault's configuration for each catalog fake: the built-in declaration with its endpoints pointed at the
 * fake. API bases keep their per-connection placeholders, so the tests prove each connection fills its own.
 */

const creds = (f: CatalogFake) => ({ clientId: f.oauth.clientId, clientSecret: f.oauth.clientSecret });

export function zendeskConfig(f: CatalogFake & { subdomain: string }): ProviderConfig {
  return {
    ...creds(f),
    subdomain: f.subdomain,
    authorizeUrl: `${f.url}/oauth/authorizations/new`,
    tokenUrl: `${f.url}/oauth/tokens`,
    apiBaseUrl: `${f.url}/z/{subdomain}/api/v2`,
  };
}

export function jiraConfig(f: CatalogFake): ProviderConfig {
  return {
    ...creds(f),
    authorizeUrl: `${f.url}/authorize`,
    tokenUrl: `${f.url}/oauth/token`,
    apiBaseUrl: `${f.url}/ex/jira/{cloudId}`,
  };
}

export function linearConfig(f: CatalogFake): ProviderConfig {
  return {
    ...creds(f),
    authorizeUrl: `${f.url}/oauth/authorize`,
    tokenUrl: `${f.url}/oauth/token`,
    revokeUrl: `${f.url}/oauth/revoke`,
    apiBaseUrl: f.url,
  };
}

export function hubspotConfig(f: CatalogFake): ProviderConfig {
  return {
    ...creds(f),
    authorizeUrl: `${f.url}/oauth/authorize`,
    tokenUrl: `${f.url}/oauth/v3/token`,
    apiBaseUrl: f.url,
  };
}

export function notionConfig(f: CatalogFake): ProviderConfig {
  return {
    ...creds(f),
    authorizeUrl: `${f.url}/v1/oauth/authorize`,
    tokenUrl: `${f.url}/v1/oauth/token`,
    apiBaseUrl: `${f.url}/v1`,
  };
}

/** Salesforce: the login host only; the API base comes from each connection's `instance_url`. */
export function salesforceConfig(login: CatalogFake): ProviderConfig {
  return {
    ...creds(login),
    authorizeUrl: `${login.url}/services/oauth2/authorize`,
    tokenUrl: `${login.url}/services/oauth2/token`,
    revokeUrl: `${login.url}/services/oauth2/revoke`,
    userinfoUrl: `${login.url}/services/oauth2/userinfo`,
  };
}
