import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Configuration: environment first, then an optional JSON file (TOOLVAULT_CONFIG, default
 * ./toolvault.config.json when present). Validated with zod; a bad value fails at start naming the field.
 */

const url = z.url({ protocol: /^https?$/ });
const scopeList = z.array(z.string().min(1));

export const providerConfigSchema = z
  .object({
    type: z.enum(['oauth2', 'oidc']).optional().describe('declares a generic provider with no code'),
    displayName: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    previousClientSecret: z.string().min(1).optional(),
    scopes: scopeList.optional(),
    issuer: url.optional(),
    authorizeUrl: url.optional(),
    tokenUrl: url.optional(),
    revokeUrl: url.optional(),
    userinfoUrl: url.optional(),
    apiBaseUrl: url.optional(),
    scopeSeparator: z.enum([' ', ',']).optional(),
    clientAuth: z.enum(['client_secret_post', 'client_secret_basic']).optional(),
    authorizeParams: z.record(z.string(), z.string()).optional(),
    defaultAccessLifetimeSec: z.number().int().positive().optional(),
    rotatesRefreshToken: z.boolean().optional(),
    reuseGraceSec: z.number().int().nonnegative().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

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
}

type Env = Record<string, string | undefined>;

/** Per-provider env shorthands: SLACK_CLIENT_ID, GITHUB_CLIENT_SECRET, ... */
const ENV_PROVIDER_FIELDS = {
  CLIENT_ID: 'clientId',
  CLIENT_SECRET: 'clientSecret',
  PREVIOUS_CLIENT_SECRET: 'previousClientSecret',
} as const;

function firstIssue(err: z.ZodError, prefix: string): ConfigError {
  const issue = err.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ConfigError(field || 'config', issue?.message ?? 'invalid');
}

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

function envInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `not a port number: ${raw}`);
  return n;
}

function envChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${choices.join(', ')}; got ${raw}`);
  }
  return raw as T;
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
    const m = /^([A-Z][A-Z0-9]*)_(CLIENT_ID|CLIENT_SECRET|PREVIOUS_CLIENT_SECRET)$/.exec(key);
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
  };
}
