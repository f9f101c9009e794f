import { acceptsValue } from '../../providers/api-base.js';
import type { ConfiguredProvider, NormalizedGrant } from '../../providers/types.js';

/**
 * What a new connection needs besides tokens to reach its API (Jira's cloud id, Salesforce's instance URL,
 * Zendesk's subdomain), gathered at consent in the order the declaration allows: configured values, then
 * the token response's (`readGrant` put them in `tokens.values`), then one discovery call with the new
 * access token. Every value is checked against the API base it fills before anything is stored.
 */

export type LearnedValues =
  { ok: true; values: Record<string, string> | undefined } | { ok: false; missing: string[] };

async function discover(
  p: ConfiguredProvider,
  accessToken: string,
  fetchImpl: typeof fetch,
): Promise<Record<string, string> | undefined> {
  const d = p.declaration.connectionValues?.discover;
  if (!d) return undefined;
  try {
    const res = await fetchImpl(d.url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: the reader sees the text and finds nothing
    }
    return d.read({ status: res.status, headers: res.headers, body });
  } catch {
    // No answer: the consent fails with the names still missing, and the user can try again.
    return undefined;
  }
}

export async function learnConnectionValues(
  p: ConfiguredProvider,
  grant: NormalizedGrant,
  fetchImpl: typeof fetch,
): Promise<LearnedValues> {
  const declared = p.declaration.connectionValues;
  const template = p.declaration.endpoints.apiBaseUrl;
  if (!declared || !template) return { ok: true, values: grant.tokens.values };
  const values: Record<string, string> = {};
  for (const name of declared.names) {
    const configured = p.settings.values?.[name];
    if (configured !== undefined) values[name] = configured;
  }
  Object.assign(values, grant.tokens.values);
  if (declared.names.some((n) => values[n] === undefined)) {
    const found = await discover(p, grant.tokens.accessToken, fetchImpl);
    for (const [k, v] of Object.entries(found ?? {})) values[k] ??= v;
  }
  const missing = declared.names.filter((n) => {
    const v = values[n];
    return v === undefined || !acceptsValue(template, n, v);
  });
  return missing.length > 0 ? { ok: false, missing } : { ok: true, values };
}
