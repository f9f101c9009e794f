import type Provider from 'oidc-provider';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createSignInLink } from '../../src/server/web/signin-links.js';
import type { Browser, Page } from './browser.js';
import type { HostedHarness } from './hosted.js';

/** Helpers of the connector tests (issue 14): an SDK OAuth client provider, sign-in, consent, tokens. */

export const REDIRECT = 'http://127.0.0.1:1/callback';

export class TestOAuthProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test Agent',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(i: OAuthClientInformationMixed) {
    this.info = i;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(t: OAuthTokens) {
    this.saved = t;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** Signs `b` in to toolvault as `user` with a one-time sign-in link (what `toolvault users link` prints). */
export async function signIn(tv: HostedHarness, b: Browser, user: string): Promise<Page> {
  const { url } = await createSignInLink(
    { store: tv.app.vault.store, clock: tv.app.clock, publicUrl: tv.url },
    user,
  );
  return b.submitForm(await b.get(url));
}

/**
 * An access token straight from the provider's model, as its token endpoint would save it but with the
 * payload the test wants (another audience, a short life): the typed constructor wants a Client object.
 */
export function mint(provider: Provider, payload: Record<string, unknown>): Promise<string> {
  type Init = ConstructorParameters<Provider['AccessToken']>[0];
  return new provider.AccessToken(payload as unknown as Init).save();
}

/** Presses Allow on the consent page. */
export function allow(b: Browser, p: Page): Promise<Page> {
  const action = /<form method="post" action="([^"]+)"/.exec(p.html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(p.html)?.[1];
  if (!action || !csrf) throw new Error(`no consent form on ${p.url}: ${p.html.slice(0, 300)}`);
  return b.post(new URL(action, p.url).href, { csrf, decision: 'allow' });
}

export function tokenRequest(tv: HostedHarness, fields: Record<string, string>): Promise<Response> {
  return fetch(`${tv.url}/as/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}
