import { type ConnectorConfig, connectorSchema, loadConnector } from './config-connector.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type Env, envChoice, envCount, envDays, envInt, envList, firstIssue } from './config-env.js';
import { ConfigError } from '../errors.js';
import { type WebhookConfig } from '../ops/webhooks.js';
import { providerConfigSchema, type ProviderConfig } from '../providers/config.js';
import type { JwtConfig } from '../server/jwt.js';

export { providerConfigSchema, type JwtConfig, type ProviderConfig, type WebhookConfig };
import {
  loadSignIn,
  loadUserVerification,
  loadUserVerifier,
  type SignInConfig,
  signInSchema,
  type UserVerifierConfig,
  userVerificationSchema,
  userVerifierSchema,
} from './config-signin.js';

/**
 * Configuration: environment first, then an optional JSON file (TOOLVAULT_CONFIG, default
 * ./toolvault.config.json when present). Validated with zod; a bad value fails at start naming the field.
 */

const url = z.url({ protocol: /^https?$/ });

const httpSchema = z
  .object({
    stateless: z
      .boolean()
      .optional()
      .describe('no sessions: one server per request, for load-balanced instances'),
    allowedOrigins: z.array(z.url()).optional().describe('browser origins allowed to call /mcp'),
    allowedHosts: z.array(z.string().min(1)).optional().describe('extra Host header values (host[:port])'),
    maxBodyBytes: z.number().int().positive().optional(),
    rateLimitPerMinute: z.number().int().nonnegative().optional().describe('per caller; 0 turns it off'),
  })
  .strict();

const jwtSchema = z
  .object({
    issuer: url,
    audience: z.string().min(1).optional().describe('default: the MCP endpoint URL (RFC 8707 resource)'),
    jwksUrl: url.optional().describe('default: jwks_uri from the issuer discovery document'),
    userClaim: z.string().min(1).optional().describe('claim naming the vault user (default sub)'),
  })
  .strict();

const fileSchema = z
  .object({
    home: z.string().min(1).optional(),
    publicUrl: url.optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    user: z.string().min(1).optional(),
    toolNames: z.enum(['underscore', 'dotted']).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    demo: z.boolean().optional(),
    refreshSkewSec: z.number().int().nonnegative().optional(),
    databaseUrl: z.string().min(1).optional(),
    http: httpSchema.optional(),
    jwt: jwtSchema.optional(),
    signIn: signInSchema.optional(),
    connector: connectorSchema.optional(),
    userVerifier: userVerifierSchema.optional(),
    userVerification: userVerificationSchema.optional(),
    webhook: z
      .object({
        url: url.describe('where events are POSTed (https, or http to this machine)'),
        secret: z.string().min(16).optional().describe('HMAC key; better in TOOLVAULT_WEBHOOK_SECRET'),
        events: z.array(z.string().min(1)).optional().describe('event types to send; default all'),
      })
      .strict()
      .optional(),
    idleAlertSec: z.number().int().positive().optional(),
    expiryWarningDays: z
      .number()
      .positive()
      .optional()
      .describe('warn this many days before a refresh token ends that no refresh can extend'),
    providers: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), providerConfigSchema).optional(),
  })
  .strict();

export interface Config {
  home: string;
  masterKey: string | undefined;
  publicUrl: string;
  /** True when publicUrl was not set: links follow the port actually bound. */
  publicUrlDefaulted: boolean;
  host: string;
  port: number;
  user: string;
  toolNames: 'underscore' | 'dotted';
  logLevel: string;
  demo: boolean;
  refreshSkewSec: number;
  providers: Record<string, ProviderConfig>;
  /** `postgres://...` selects the PostgreSQL vault; unset keeps SQLite in `home`. */
  databaseUrl: string | undefined;
  http: HttpConfig;
  /** Bearer JWTs from this issuer identify HTTP callers (besides API keys). */
  jwt: JwtConfig | undefined;
  /** toolvault as the OAuth authorization server of /mcp (config-connector.ts). */
  connector: ConnectorConfig;
  /** Key of the /admin dashboard (TOOLVAULT_ADMIN_KEY, env only); the dashboard is off without one. */
  adminKey: string | undefined;
  /** Signed event delivery (TOOLVAULT_WEBHOOK_URL / _SECRET / _EVENTS, or `webhook` in the file). */
  webhook: WebhookConfig | undefined;
  /** Alert on a healthy connection with no successful call or refresh for this long (the flat line). */
  idleAlertSec: number;
  /** Raise the reconnect warning this many days before a refresh token's absolute end (default 7). */
  expiryWarningDays: number;
  /** toolvault's own sign-in (config-signin.ts). */
  signIn: SignInConfig;
  /** The operator's user verifier, if any. */
  userVerifier: UserVerifierConfig | undefined;
  /** `off`: a hosted install activates grants without proof of the person (an explicit opt-out). */
  userVerification: 'auto' | 'off';
}

export interface HttpConfig {
  stateless: boolean;
  allowedOrigins: string[];
  allowedHosts: string[];
  maxBodyBytes: number;
  /** Requests per minute per caller (API key, JWT subject, or the local user); 0 = unlimited. */
  rateLimitPerMinute: number;
}

/** Per-provider env shorthands: SLACK_CLIENT_ID, GITHUB_CLIENT_SECRET, ... */
const ENV_PROVIDER_FIELDS = {
  CLIENT_ID: 'clientId',
  CLIENT_SECRET: 'clientSecret',
  PREVIOUS_CLIENT_SECRET: 'previousClientSecret',
  SUBDOMAIN: 'subdomain',
} as const;

function readFile(path: string, required: boolean): z.infer<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError('TOOLVAULT_CONFIG', `cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('TOOLVAULT_CONFIG', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw firstIssue(parsed.error, '');
  return parsed.data;
}

function loadHttp(env: Env, file: z.infer<typeof httpSchema> | undefined): HttpConfig {
  const origins = envList(env, 'TOOLVAULT_ALLOWED_ORIGINS') ?? file?.allowedOrigins ?? [];
  const allowedOrigins = origins.map((o) => {
    if (!url.safeParse(o).success) throw new ConfigError('TOOLVAULT_ALLOWED_ORIGINS', `not an origin: ${o}`);
    return new URL(o).origin.toLowerCase();
  });
  const stateless = envChoice(env, 'TOOLVAULT_HTTP_STATELESS', ['0', '1', 'true', 'false'] as const);
  return {
    stateless:
      stateless === undefined ? (file?.stateless ?? false) : stateless === '1' || stateless === 'true',
    allowedOrigins,
    allowedHosts: (envList(env, 'TOOLVAULT_ALLOWED_HOSTS') ?? file?.allowedHosts ?? []).map((h) =>
      h.toLowerCase(),
    ),
    maxBodyBytes: file?.maxBodyBytes ?? 1_000_000,
    rateLimitPerMinute: envCount(env, 'TOOLVAULT_RATE_LIMIT_PER_MINUTE') ?? file?.rateLimitPerMinute ?? 600,
  };
}

function loadJwt(env: Env, file: z.infer<typeof jwtSchema> | undefined): JwtConfig | undefined {
  const issuer = env['TOOLVAULT_JWT_ISSUER'] || file?.issuer;
  if (issuer === undefined) return undefined;
  for (const name of ['TOOLVAULT_JWT_ISSUER', 'TOOLVAULT_JWT_JWKS_URL'] as const) {
    const v = env[name];
    if (v && !url.safeParse(v).success) throw new ConfigError(name, `not an http(s) URL: ${v}`);
  }
  return {
    issuer,
    audience: env['TOOLVAULT_JWT_AUDIENCE'] || file?.audience,
    jwksUrl: env['TOOLVAULT_JWT_JWKS_URL'] || file?.jwksUrl,
    userClaim: env['TOOLVAULT_JWT_USER_CLAIM'] || file?.userClaim || 'sub',
  };
}

export interface ConfigOverrides {
  host?: string;
  port?: number;
}

/** Loads and validates configuration. Throws ConfigError naming the first bad field. */
export function loadConfig(
  env: Env = process.env,
  overrides: ConfigOverrides = {},
  cwd = process.cwd(),
): Config {
  const explicit = env['TOOLVAULT_CONFIG'];
  const file = readFile(resolve(cwd, explicit ?? 'toolvault.config.json'), explicit !== undefined);

  const providers: Record<string, ProviderConfig> = { ...(file.providers ?? {}) };
  for (const [key, value] of Object.entries(env)) {
    const m = /^([A-Z][A-Z0-9]*)_(CLIENT_ID|CLIENT_SECRET|PREVIOUS_CLIENT_SECRET|SUBDOMAIN)$/.exec(key);
    if (!m || value === undefined || value === '' || m[1] === 'TOOLVAULT') continue;
    const id = m[1]!.toLowerCase();
    const field = ENV_PROVIDER_FIELDS[m[2] as keyof typeof ENV_PROVIDER_FIELDS];
    providers[id] = { ...providers[id], [field]: value };
  }
  for (const [id, p] of Object.entries(providers)) {
    const parsed = providerConfigSchema.safeParse(p);
    if (!parsed.success) throw firstIssue(parsed.error, `providers.${id}`);
    providers[id] = parsed.data;
  }

  const port = overrides.port ?? envInt(env, 'TOOLVAULT_PORT') ?? file.port ?? 8787;
  const host = overrides.host ?? env['TOOLVAULT_HOST'] ?? file.host ?? '127.0.0.1';
  const envUrl = env['TOOLVAULT_PUBLIC_URL'];
  if (envUrl !== undefined && envUrl !== '' && !url.safeParse(envUrl).success) {
    throw new ConfigError('TOOLVAULT_PUBLIC_URL', `not an http(s) URL: ${envUrl}`);
  }
  const publicUrl = envUrl || file.publicUrl;
  const skewRaw = env['TOOLVAULT_REFRESH_SKEW_SEC'];
  const skew = skewRaw ? Number(skewRaw) : undefined;
  if (skew !== undefined && (!Number.isInteger(skew) || skew < 0)) {
    throw new ConfigError('TOOLVAULT_REFRESH_SKEW_SEC', `not a whole number of seconds: ${skewRaw}`);
  }
  const demoEnv = envChoice(env, 'TOOLVAULT_DEMO', ['0', '1', 'true', 'false'] as const);
  const adminKey = env['TOOLVAULT_ADMIN_KEY'] || undefined;
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError(
      'TOOLVAULT_ADMIN_KEY',
      'must be at least 16 characters (e.g. `openssl rand -base64 24`)',
    );
  }
  const jwt = loadJwt(env, file.jwt);
  const idleRaw = env['TOOLVAULT_IDLE_ALERT_SEC'];
  const idle = idleRaw ? Number(idleRaw) : undefined;
  if (idle !== undefined && (!Number.isInteger(idle) || idle <= 0)) {
    throw new ConfigError('TOOLVAULT_IDLE_ALERT_SEC', `not a positive whole number of seconds: ${idleRaw}`);
  }

  return {
    home: resolve(cwd, env['TOOLVAULT_HOME'] || file.home || '.toolvault'),
    masterKey: env['TOOLVAULT_MASTER_KEY'] || undefined,
    publicUrl: (publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, ''),
    publicUrlDefaulted: publicUrl === undefined,
    host,
    port,
    user: env['TOOLVAULT_USER'] || file.user || 'local',
    toolNames:
      envChoice(env, 'TOOLVAULT_TOOL_NAMES', ['underscore', 'dotted'] as const) ??
      file.toolNames ??
      'underscore',
    logLevel:
      envChoice(env, 'TOOLVAULT_LOG_LEVEL', [
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ] as const) ??
      file.logLevel ??
      'info',
    demo: demoEnv === undefined ? (file.demo ?? true) : demoEnv === '1' || demoEnv === 'true',
    refreshSkewSec: skew ?? file.refreshSkewSec ?? 60,
    providers,
    databaseUrl: env['TOOLVAULT_DATABASE_URL'] || file.databaseUrl,
    http: loadHttp(env, file.http),
    jwt,
    adminKey,
    webhook: loadWebhook(env, file.webhook),
    idleAlertSec: idle ?? file.idleAlertSec ?? 24 * 3600,
    expiryWarningDays: envDays(env, 'TOOLVAULT_EXPIRY_WARNING_DAYS') ?? file.expiryWarningDays ?? 7,
    signIn: loadSignIn(env, file.signIn, jwt),
    connector: loadConnector(env, file.connector),
    userVerifier: loadUserVerifier(env, file.userVerifier),
    userVerification: loadUserVerification(env, file.userVerification),
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Webhook settings: env over file; a URL needs a secret, and plain http goes only to this machine. */
function loadWebhook(env: Env, file: z.infer<typeof fileSchema>['webhook']): WebhookConfig | undefined {
  const rawUrl = env['TOOLVAULT_WEBHOOK_URL'] || file?.url;
  if (!rawUrl) return undefined;
  const field = env['TOOLVAULT_WEBHOOK_URL'] ? 'TOOLVAULT_WEBHOOK_URL' : 'webhook.url';
  if (!url.safeParse(rawUrl).success) throw new ConfigError(field, `not an http(s) URL: ${rawUrl}`);
  const parsed = new URL(rawUrl);
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new ConfigError(field, 'must be https (plain http is allowed only to 127.0.0.1 or localhost)');
  }
  const secret = env['TOOLVAULT_WEBHOOK_SECRET'] || file?.secret;
  if (!secret || secret.length < 16) {
    throw new ConfigError('TOOLVAULT_WEBHOOK_SECRET', 'required with a webhook URL, at least 16 characters');
  }
  const list = envList(env, 'TOOLVAULT_WEBHOOK_EVENTS') ?? file?.events;
  const events = !list || list.length === 0 || list.includes('all') ? 'all' : list;
  return { url: rawUrl, secret, events };
}
