import type { z } from 'zod';
import { ConfigError } from '../errors.js';

/** Reading single environment variables into typed values; a bad one fails naming the variable. */

export type Env = Record<string, string | undefined>;

export function firstIssue(err: z.ZodError, prefix: string): ConfigError {
  const issue = err.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ConfigError(field || 'config', issue?.message ?? 'invalid');
}
export function envInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `not a port number: ${raw}`);
  return n;
}

export function envChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${choices.join(', ')}; got ${raw}`);
  }
  return raw as T;
}

export function envList(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

export function envCount(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `not a whole number: ${raw}`);
  return n;
}
export function envDays(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(name, `not a positive number of days: ${raw}`);
  return n;
}
