import { networkSignal } from './api-client.js';
import { standardInspect, statusCode } from './standard-api.js';
import type { ApiResponse, ConfiguredProvider, RevocationOutcome, RevocationToken } from './types.js';

/**
 * Sends a provider's own revocation (its declaration's `revocation`, built and read by that provider's module)
 * and reads what the provider does not read itself the standard way. RFC 7009 revocation is the OAuth
 * client's (auth/oauth-client.ts), with the token endpoint's client authentication. No provider is named here.
 */

export type { RevocationOutcome, RevocationToken } from './types.js';

/** HTTP Basic client authentication; RFC 6749 §2.3.1 form-urlencodes each part before base64. */
export function basicAuth(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const e = (body as { error?: unknown }).error;
  return typeof e === 'string' ? e : undefined;
}

/** The standard reading: a 2xx revoked; otherwise the provider's signal, or our client refused. */
function readStandard(response: ApiResponse, now: number): RevocationOutcome {
  const { status, body } = response;
  if (status >= 200 && status < 300) return { result: 'revoked' };
  const signal = standardInspect(response, now);
  if (signal && signal.kind !== 'expired_access') return { result: 'failed', signal };
  // 401 here means our client credentials were refused, never the user's token (RFC 7009 §2.1).
  const code = errorCode(body) ?? statusCode(status);
  return {
    result: 'failed',
    signal: { kind: status === 401 || status === 400 ? 'config_error' : 'unknown', code },
  };
}

/**
 * Revokes a token the provider's own way. `unsupported` when the provider has no revokeUrl, revokes by RFC
 * 7009 (the OAuth client's job), or cannot revoke this kind of token. Never throws for provider or network
 * failures (they come back as `failed` with a signal); the token goes only into the request the provider
 * prescribes, never a URL.
 */
export async function revokeToken(
  configured: ConfiguredProvider,
  token: RevocationToken,
  options: { fetch?: typeof fetch; timeoutMs?: number; now?: number } = {},
): Promise<RevocationOutcome> {
  const { declaration } = configured;
  const url = declaration.endpoints.revokeUrl;
  const how = declaration.revocation;
  if (!url || how === undefined || how === 'rfc7009') return { result: 'unsupported' };
  const built = how.request(configured, url, token);
  if (!built) return { result: 'unsupported' };
  let response: ApiResponse;
  try {
    const res = await (options.fetch ?? fetch)(built.url, {
      ...built.init,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : (JSON.parse(text) as unknown);
    } catch {
      // not JSON: keep the text for status-based reading only
    }
    response = { status: res.status, headers: res.headers, body };
  } catch (err) {
    return { result: 'failed', signal: networkSignal(err) };
  }
  return how.read(response) ?? readStandard(response, options.now ?? Date.now());
}
