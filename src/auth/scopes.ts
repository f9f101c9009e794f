import type { ConfiguredProvider } from '../providers/types.js';

/** Scope sets are compared as sets: sorted, without duplicates or blanks. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  return [...new Set([...scopes].map((s) => s.trim()).filter(Boolean))].sort();
}

export function missingScopes(granted: readonly string[], needed: readonly string[]): string[] {
  const have = new Set(granted);
  return normalizeScopes(needed.filter((s) => !have.has(s)));
}

/** The scopes a provider is connected with when nobody names any: configured, else declared. */
export function defaultScopes(p: ConfiguredProvider): readonly string[] {
  return p.settings.scopes ?? p.declaration.defaultScopes;
}

/**
 * The scopes a consent asks for: what the caller named (or the configured/declared defaults), plus the
 * scopes that make the provider issue a refresh token (OIDC `offline_access`).
 */
export function requestedScopes(p: ConfiguredProvider, asked?: readonly string[]): string[] {
  const base = asked && asked.length > 0 ? asked : defaultScopes(p);
  return normalizeScopes([...base, ...(p.declaration.offlineScopes ?? [])]);
}
