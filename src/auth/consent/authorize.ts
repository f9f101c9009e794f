import * as oidc from 'openid-client';
import type { ConsentRow, SealedSecret } from '../../vault/types.js';
import type { ConsentDeps } from './deps.js';
import { ConsentProblem } from './problems.js';

/** The provider's authorize URL for a consent, with a fresh state, PKCE verifier and nonce (sealed). */
export async function authorize(
  d: ConsentDeps,
  redirectUri: string,
  c: ConsentRow,
): Promise<{ url: URL; state: string; verifier: SealedSecret }> {
  const client = d.oauth.get(c.provider);
  const decl = client.provider.declaration;
  const state = oidc.randomState();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = decl.discovery && c.scopes.includes('openid') ? oidc.randomNonce() : undefined;
  let url: URL;
  try {
    url = await client.authorizationUrl({
      redirectUri: redirectUri,
      state,
      scopes: c.scopes,
      ...(decl.pkce ? { codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier) } : {}),
      ...(nonce ? { nonce } : {}),
    });
  } catch (err) {
    // Discovery failed: the link stays usable, so the user can try again once the provider answers.
    d.log.warn({ provider: c.provider, err: (err as Error).message }, 'authorize URL unavailable');
    throw new ConsentProblem(
      'provider_unavailable',
      'Provider unavailable',
      `${decl.displayName} could not be reached. Try the link again in a minute.`,
      502,
    );
  }
  const verifier = d.vault.sealVerifier(c.authId, { codeVerifier, ...(nonce ? { nonce } : {}) });
  return { url, state, verifier };
}
