import type { ProviderConfig } from './config.js';
import { ConfigError } from '../errors.js';
import { genericDeclaration } from './generic.js';
import { github } from './github.js';
import { google } from './google.js';
import { hubspot } from './hubspot.js';
import { jira } from './jira.js';
import { linear } from './linear.js';
import { notion } from './notion.js';
import { salesforce } from './salesforce.js';
import { slack } from './slack.js';
import { zendesk } from './zendesk.js';
import type {
  ConfiguredProvider,
  Endpoints,
  ProviderDeclaration,
  ProviderSettings,
  RequestToolSettings,
} from './types.js';

/**
 * The one list of providers: built-in declarations merged with configuration, plus generic ones declared by
 * `type`, plus any the caller builds at runtime (the demo provider). Validated at start-up; every error is a
 * ConfigError naming its field.
 */

/** The built-in declarations. */
export const BUILTIN_PROVIDERS: readonly ProviderDeclaration[] = [
  slack,
  github,
  google,
  notion,
  linear,
  jira,
  hubspot,
  salesforce,
  zendesk,
];

const ENDPOINT_FIELDS = [
  'authorizeUrl',
  'tokenUrl',
  'revokeUrl',
  'userinfoUrl',
  'apiBaseUrl',
  'issuer',
] as const;
/** Fields the environment shorthands set (`FOO_CLIENT_ID`); alone, they do not declare a provider. */
const CREDENTIAL_FIELDS = new Set(['clientId', 'clientSecret', 'previousClientSecret', 'subdomain']);

/** The scheme and host a URL template starts with (templates may hold `{name}` anywhere else). */
function originOf(url: string | undefined): string | undefined {
  return url === undefined ? undefined : /^https?:\/\/[^/]+/i.exec(url)?.[0];
}

/**
 * Applies endpoint overrides. Built-in endpoints under the built-in `apiBaseUrl` (GitHub's grant revocation,
 * Slack's auth.revoke) follow an `apiBaseUrl` override, so pointing GitHub at an Enterprise server or a fake
 * takes one field.
 */
function mergeEndpoints(base: Endpoints, cfg: ProviderConfig): Endpoints {
  const out: Endpoints = { ...base };
  const oldApi = base.apiBaseUrl?.replace(/\/+$/, '');
  const newApi = cfg.apiBaseUrl?.replace(/\/+$/, '');
  if (oldApi && newApi) {
    for (const field of ['revokeUrl', 'userinfoUrl'] as const) {
      const url = base[field];
      if (url?.startsWith(`${oldApi}/`)) out[field] = newApi + url.slice(oldApi.length);
    }
  }
  for (const field of ENDPOINT_FIELDS) {
    const value = cfg[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Fills `{name}` placeholders of the endpoints a provider uses before any connection exists (authorize,
 * token, revoke, userinfo) from configuration (Zendesk's `{subdomain}`); the API base keeps its placeholders,
 * which each connection fills from its own values (api-base.ts).
 */
function fillEndpoints(id: string, endpoints: Endpoints, values: Record<string, string>): Endpoints {
  const out: Endpoints = { ...endpoints };
  for (const field of ['authorizeUrl', 'tokenUrl', 'revokeUrl', 'userinfoUrl'] as const) {
    const url = out[field];
    if (url === undefined) continue;
    out[field] = url.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      if (name === 'client_id') return whole; // substituted at revocation time
      const value = values[name];
      if (value === undefined) throw new ConfigError(`providers.${id}.${name}`, `required by ${field}`);
      return encodeURIComponent(value);
    });
  }
  return out;
}

/** Moves a built-in URL on the API's origin (Atlassian's accessible-resources) with an apiBaseUrl override. */
function followApiOrigin(url: string, base: ProviderDeclaration, cfg: ProviderConfig): string {
  const oldOrigin = originOf(base.endpoints.apiBaseUrl);
  const newOrigin = originOf(cfg.apiBaseUrl);
  if (!oldOrigin || !newOrigin || !url.startsWith(`${oldOrigin}/`)) return url;
  return newOrigin + url.slice(oldOrigin.length);
}

function configuredValues(cfg: ProviderConfig): Record<string, string> {
  return cfg.subdomain !== undefined ? { subdomain: cfg.subdomain } : {};
}

function mergeBuiltin(base: ProviderDeclaration, cfg: ProviderConfig): ProviderDeclaration {
  const token = { ...base.token };
  if (cfg.defaultAccessLifetimeSec !== undefined)
    token.defaultAccessLifetimeSec = cfg.defaultAccessLifetimeSec;
  if (cfg.rotatesRefreshToken !== undefined) token.rotatesRefreshToken = cfg.rotatesRefreshToken;
  if (cfg.reuseGraceSec !== undefined) token.reuseGraceSec = cfg.reuseGraceSec;
  if (cfg.refreshIdleLimitSec !== undefined) token.refreshIdleLimitSec = cfg.refreshIdleLimitSec;
  if (cfg.refreshAbsoluteLifetimeSec !== undefined)
    token.refreshAbsoluteLifetimeSec = cfg.refreshAbsoluteLifetimeSec;
  const endpoints = fillEndpoints(base.id, mergeEndpoints(base.endpoints, cfg), configuredValues(cfg));
  const merged: ProviderDeclaration = { ...base, endpoints, token };
  const discover = base.connectionValues?.discover;
  if (discover) {
    merged.connectionValues = {
      ...base.connectionValues!,
      discover: { ...discover, url: followApiOrigin(discover.url, base, cfg) },
    };
  }
  if (base.probe && /^https?:/i.test(base.probe.path))
    merged.probe = { ...base.probe, path: followApiOrigin(base.probe.path, base, cfg) };
  if (cfg.displayName) merged.displayName = cfg.displayName;
  if (cfg.scopeSeparator) merged.scopeSeparator = cfg.scopeSeparator;
  if (cfg.clientAuth) merged.clientAuth = cfg.clientAuth;
  if (cfg.authorizeParams) merged.authorizeParams = { ...base.authorizeParams, ...cfg.authorizeParams };
  return merged;
}

function settingsFor(id: string, cfg: ProviderConfig): ProviderSettings {
  if (!cfg.clientId) throw new ConfigError(`providers.${id}.clientId`, 'required to enable this provider');
  // toolvault is a confidential client: every token request authenticates with the secret.
  if (!cfg.clientSecret) throw new ConfigError(`providers.${id}.clientSecret`, 'required with a clientId');
  const settings: ProviderSettings = { clientId: cfg.clientId, clientSecret: cfg.clientSecret };
  if (cfg.previousClientSecret) settings.previousClientSecret = cfg.previousClientSecret;
  if (cfg.scopes) settings.scopes = [...cfg.scopes];
  const values = configuredValues(cfg);
  if (Object.keys(values).length > 0) settings.values = values;
  // Unset: the request tool's defaults (on; reads allowed, writes approved).
  if (cfg.requestTool !== undefined) settings.requestTool = requestToolSettings(cfg.requestTool);
  return settings;
}

/** The request tool is on, reads allowed and writes approved, unless configuration says otherwise. */
export function requestToolSettings(cfg: ProviderConfig['requestTool']): RequestToolSettings {
  const o = typeof cfg === 'object' ? cfg : {};
  return {
    enabled: cfg === false ? false : (o.enabled ?? true),
    read: o.read ?? 'allow',
    write: o.write ?? 'approve',
  };
}

function validUrl(field: string, value: string | undefined, required: boolean): void {
  if (!value) {
    if (required) throw new ConfigError(field, 'required');
    return;
  }
  let url: URL;
  try {
    // A per-connection placeholder (`https://{subdomain}.zendesk.com`, `{instanceUrl}/services`) is checked
    // with a stand-in; the connection's own value is checked when it is learned (api-base.ts).
    url = new URL(
      value.replace(/^\{[A-Za-z0-9_]+\}/, 'https://x.invalid').replace(/\{[A-Za-z0-9_]+\}/g, 'x'),
    );
  } catch {
    throw new ConfigError(field, `not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(field, 'must be http(s)');
}

/** Checks a finished declaration; errors name `providers.<id>.<field>`. */
export function validateDeclaration(d: ProviderDeclaration): void {
  const at = (f: string) => `providers.${d.id}.${f}`;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(d.id))
    throw new ConfigError(`providers.${d.id}`, 'id must match [a-z][a-z0-9-]*');
  if (d.discovery) validUrl(at('issuer'), d.endpoints.issuer, true);
  for (const field of ENDPOINT_FIELDS) {
    const requiredField = !d.discovery && (field === 'authorizeUrl' || field === 'tokenUrl');
    validUrl(at(field), d.endpoints[field], requiredField);
  }
  if (d.probe && d.probe.path === 'userinfo' && !d.endpoints.userinfoUrl && !d.discovery) {
    throw new ConfigError(at('userinfoUrl'), 'required by the probe');
  }
  if (d.probe && d.probe.path !== 'userinfo' && !/^https?:/.test(d.probe.path) && !d.endpoints.apiBaseUrl) {
    throw new ConfigError(at('apiBaseUrl'), 'required by the probe');
  }
}

/** Options of {@link buildProviders}. */
export interface BuildProvidersOptions {
  /** Built-in declarations (default {@link BUILTIN_PROVIDERS}); tests pass their own. */
  builtins?: readonly ProviderDeclaration[];
  /** Providers built at runtime, complete with settings (the demo provider); their ids must be free. */
  extra?: readonly ConfiguredProvider[];
}

/**
 * Builds the providers in service. A built-in is enabled when it has a `clientId` (and not `enabled:false`);
 * `providers.<id>` with `type` declares a generic one; an entry with neither and only credential fields is
 * ignored (the `FOO_CLIENT_ID` shorthand may pick up unrelated environment variables); anything else is an
 * error. Throws ConfigError naming the field.
 */
export function buildProviders(
  config: { providers: Record<string, ProviderConfig> },
  options: BuildProvidersOptions = {},
): Map<string, ConfiguredProvider> {
  const builtins = new Map((options.builtins ?? BUILTIN_PROVIDERS).map((d) => [d.id, d]));
  const extraIds = new Set((options.extra ?? []).map((p) => p.declaration.id));
  const out = new Map<string, ConfiguredProvider>();

  for (const [id, cfg] of Object.entries(config.providers)) {
    if (extraIds.has(id))
      throw new ConfigError(`providers.${id}`, 'this id is reserved by a provider toolvault builds itself');
    const builtin = builtins.get(id);
    if (builtin && cfg.type) {
      throw new ConfigError(
        `providers.${id}.type`,
        `${id} is built in; declare a generic provider under another id`,
      );
    }
    if (cfg.enabled === false) continue;
    if (builtin) {
      if (!cfg.clientId && cfg.enabled !== true) continue;
      const declaration = mergeBuiltin(builtin, cfg);
      validateDeclaration(declaration);
      out.set(id, { declaration, settings: settingsFor(id, cfg) });
      continue;
    }
    if (!cfg.type) {
      if (Object.keys(cfg).every((k) => CREDENTIAL_FIELDS.has(k))) continue;
      throw new ConfigError(
        `providers.${id}.type`,
        'must be "oauth2" or "oidc" for a provider that is not built in',
      );
    }
    const declaration = genericDeclaration(id, cfg);
    validateDeclaration(declaration);
    out.set(id, { declaration, settings: settingsFor(id, cfg) });
  }

  for (const provider of options.extra ?? []) {
    const id = provider.declaration.id;
    if (out.has(id) || builtins.has(id)) throw new ConfigError(`providers.${id}`, 'declared twice');
    validateDeclaration(provider.declaration);
    out.set(id, provider);
  }
  return out;
}
