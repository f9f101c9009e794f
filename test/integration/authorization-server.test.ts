import * as oidc from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser, parseForm } from '../support/browser.js';
import { type OidcServer, startOidcServer, type TokenFault } from '../support/oidc-server.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const SCOPE = 'openid offline_access profile api:read';

async function discover(issuer: string, clientId = 'test-client', secret = 'test-secret') {
  return oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretPost(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Authorization code + PKCE through the real sign-in page; the redirect to the client is captured. */
async function signIn(config: oidc.Configuration, name: string, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  const browser = new Browser({ stopAt: REDIRECT_URI });
  const login = await browser.get(url.href);
  expect(login.status).toBe(200);
  const back = await browser.submitForm(login, { name });
  expect(back.stopped).toBe(true);
  return oidc.authorizationCodeGrant(config, new URL(back.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('demo authorization server, standalone', () => {
  let as: OidcServer;
  let config: oidc.Configuration;

  beforeEach(async () => {
    as = await startOidcServer({ redirectUris: [REDIRECT_URI] });
    config = await discover(as.issuer);
  });
  afterEach(() => as.close());

  it('publishes discovery metadata with PKCE, revocation and introspection', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(as.issuer);
    expect(meta.token_endpoint).toBe(as.tokenEndpoint);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.revocation_endpoint).toBeDefined();
    expect(meta.introspection_endpoint).toBeDefined();
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
  });

  it('renders an accessible sign-in page and re-renders it when the name is empty', async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const browser = new Browser({ stopAt: REDIRECT_URI });
    const page = await browser.get(url.href);
    expect(page.url).toMatch(/\/interaction\/[\w-]+$/);
    expect(page.html).toContain('Demo sign-in: any name works');
    expect(page.html).toContain('test-client');
    expect(page.html).toContain('<code>api:read</code>');
    expect(page.html).toContain('<label for="name">');
    expect(parseForm(page.html, page.url)).toEqual({
      action: page.url,
      method: 'POST',
      fields: { name: '' },
    });

    const again = await browser.submitForm(page, { name: '   ' });
    expect(again.status).toBe(400);
    expect(again.html).toContain('role="alert"');
    expect(parseForm(again.html, again.url)?.fields).toEqual({ name: '' });
    const done = await browser.submitForm(again, { name: '<b>Eve</b>' });
    expect(done.stopped).toBe(true);
  });

  it('exchanges a code for access and refresh tokens and serves userinfo', async () => {
    const tokens = await signIn(config, 'Alice Smith');
    expect(tokens.access_token).toMatch(/^[\w-]{20,}$/); // opaque, not a JWT
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(300);
    // oidc-provider never echoes offline_access in the token's scope, though it granted (and acted on) it.
    expect(tokens.scope?.split(' ').sort()).toEqual(['api:read', 'openid', 'profile']);
    expect(tokens.claims()?.sub).toBe('alice-smith');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, 'alice-smith');
    expect(info).toMatchObject({ sub: 'alice-smith', name: 'Alice Smith' });
    expect(as.tokenRequests()).toMatchObject([{ grantType: 'authorization_code', status: 200, fault: null }]);
  });

  it('issues a refresh token even when offline_access is not requested', async () => {
    const tokens = await signIn(config, 'bob', { scope: 'openid api:read' });
    expect(tokens.refresh_token).toBeDefined();
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(next.access_token).toBeDefined();
  });

  it('rotates refresh tokens, and a replayed one kills the whole grant', async () => {
    const first = await signIn(config, 'alice');
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);

    const replay = await rejection(oidc.refreshTokenGrant(config, first.refresh_token!));
    expect(replay).toBeInstanceOf(oidc.ResponseBodyError);
    expect(replay).toMatchObject({ error: 'invalid_grant', status: 400 });
    const newest = await rejection(oidc.refreshTokenGrant(config, second.refresh_token!));
    expect(newest).toMatchObject({ error: 'invalid_grant' });
    expect(as.tokenRequests().map((r) => [r.grantType, r.status])).toEqual([
      ['authorization_code', 200],
      ['refresh_token', 200],
      ['refresh_token', 400],
      ['refresh_token', 400],
    ]);
  });

  it('revokeGrantFor makes refresh fail with invalid_grant and userinfo with 401', async () => {
    const tokens = await signIn(config, 'alice');
    await signIn(config, 'bob');
    expect(as.revokeGrantFor('alice')).toBe(1);
    expect(await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toMatchObject({
      error: 'invalid_grant',
    });
    const denied = await rejection(oidc.fetchUserInfo(config, tokens.access_token, 'alice'));
    expect(denied).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect(denied).toMatchObject({ status: 401 });
    expect(as.revokeAll()).toBe(1); // bob's
  });

  it('finishes consent only, without a name, when the browser is already signed in', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const authorize = async (prompt?: string) =>
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(prompt ? { prompt } : {}),
      }).href;
    const browser = new Browser({ stopAt: REDIRECT_URI });
    await browser.submitForm(await browser.get(await authorize()), { name: 'carol' });
    const consent = await browser.get(await authorize('consent'));
    expect(consent.html).toContain('Signed in as <strong>carol</strong>');
    expect(parseForm(consent.html, consent.url)?.fields).toEqual({});
    const back = await browser.submitForm(consent);
    expect(back.stopped).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.url), {
      pkceCodeVerifier: verifier,
    });
    expect(tokens.claims()?.sub).toBe('carol');
    expect(tokens.refresh_token).toBeDefined();
  });

  const faults: Array<[TokenFault, Record<string, unknown>, number | null]> = [
    ['500', { name: 'ClientError', code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' }, 500],
    ['503_html', { name: 'ClientError', code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' }, 503],
    ['invalid_request', { name: 'ResponseBodyError', error: 'invalid_request', status: 400 }, 400],
    [
      'unsupported_grant_type',
      { name: 'ResponseBodyError', error: 'unsupported_grant_type', status: 400 },
      400,
    ],
    ['invalid_client', { name: 'ResponseBodyError', error: 'invalid_client', status: 401 }, 401],
    ['reset', { name: 'TypeError', message: 'fetch failed' }, null],
    ['timeout', { name: 'ClientError', code: 'OAUTH_TIMEOUT' }, null],
  ];

  for (const [fault, expected, status] of faults) {
    it(`fault ${fault} surfaces as ${JSON.stringify(expected)} and leaves the refresh token usable`, async () => {
      const tokens = await signIn(config, 'alice');
      if (fault === 'timeout') config.timeout = 0.3;
      as.failNext(fault);
      const err = await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
      expect(err).toMatchObject(expected);
      config.timeout = 30;
      // The provider never saw the faulted request, so the same refresh token still works.
      const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(next.access_token).toBeDefined();
      expect(as.tokenRequests()).toMatchObject([
        { grantType: 'authorization_code', status: 200, fault: null },
        { grantType: 'refresh_token', status, fault },
        { grantType: 'refresh_token', status: 200, fault: null },
      ]);
    });
  }

  it('fault invalid_client answers with WWW-Authenticate when the client used Basic auth', async () => {
    const basic = await oidc.discovery(
      new URL(as.issuer),
      'test-client',
      undefined,
      oidc.ClientSecretBasic('test-secret'),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    as.failNext('invalid_client');
    const err = await rejection(oidc.refreshTokenGrant(basic, 'whatever'));
    expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect(err).toMatchObject({ status: 401 });
  });

  it('accepts client_secret_basic for a client registered with it', async () => {
    const basicAs = await startOidcServer({
      redirectUris: [REDIRECT_URI],
      authMethod: 'client_secret_basic',
    });
    try {
      const basic = await oidc.discovery(
        new URL(basicAs.issuer),
        'test-client',
        undefined,
        oidc.ClientSecretBasic('test-secret'),
        { execute: [oidc.allowInsecureRequests] },
      );
      const tokens = await signIn(basic, 'frank');
      expect((await oidc.refreshTokenGrant(basic, tokens.refresh_token!)).access_token).toBeDefined();
    } finally {
      await basicAs.close();
    }
  });

  it('fault lose_response rotates at the server, so the retry gets invalid_grant', async () => {
    const tokens = await signIn(config, 'alice');
    as.failNext('lose_response');
    const lost = await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    expect(lost).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    const retry = await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    expect(retry).toMatchObject({ error: 'invalid_grant' });
    expect(as.tokenRequests().slice(1)).toMatchObject([
      { grantType: 'refresh_token', status: 200, fault: 'lose_response' },
      { grantType: 'refresh_token', status: 400, fault: null },
    ]);
  });

  it('failNext with a count fails exactly that many requests', async () => {
    const tokens = await signIn(config, 'alice');
    as.clearTokenRequests();
    as.failNext('500', 2);
    await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(as.tokenRequests().map((r) => r.status)).toEqual([500, 500, 200]);
  });
});
