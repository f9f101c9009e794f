import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { allow, mint, REDIRECT, signIn, tokenRequest } from '../support/connector.js';
import { type HostedHarness, INIT, startHosted } from '../support/hosted.js';

/**
 * What the connector's authorization server refuses, each with a precise OAuth error and never a 404 page
 * (issue 14): private or non-https CIMD client ids, malformed registrations, a missing or foreign `resource`,
 * a PKCE mismatch, a replayed code; and /mcp refusing a token of this server minted for another resource.
 */
describe('connector refusals', () => {
  let tv: HostedHarness;

  beforeAll(async () => {
    tv = await startHosted({ env: { TOOLVAULT_CONNECTOR: '1', TOOLVAULT_SIGNIN_LINKS: '1' } });
    await tv.key('bob');
  });
  afterAll(async () => {
    await tv?.close();
  });

  it('refuses a CIMD client id that points at a private address, and one that is not https', async () => {
    for (const clientId of [`https://127.0.0.1:1/client.json`, `http://example.com/client.json`]) {
      const u = new URL(`${tv.url}/as/auth`);
      u.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        resource: tv.mcpUrl,
      }).toString();
      const res = await fetch(u, { redirect: 'manual' });
      // No client, so no redirect to its URI: the error page names invalid_client.
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('invalid_client');
    }
  });

  it('refuses a malformed registration with invalid_client_metadata, not a 404 page', async () => {
    const res = await fetch(`${tv.url}/as/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'bogus' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
    const badUris = await fetch(`${tv.url}/as/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: 'not-a-list' }),
    });
    expect(badUris.status).toBe(400);
    expect(await badUris.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  });

  it('refuses a replayed code (invalid_grant), a PKCE mismatch (invalid_grant), a missing resource (invalid_target), and a token for another resource', async () => {
    const reg = (await (
      await fetch(`${tv.url}/as/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Raw',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
        }),
      })
    ).json()) as { client_id: string };
    const b = new Browser({ stopAt: REDIRECT });
    await signIn(tv, b, 'carol');
    const authorize = async (resource?: string) => {
      const verifier = randomBytes(32).toString('base64url');
      const u = new URL(`${tv.url}/as/auth`);
      u.search = new URLSearchParams({
        client_id: reg.client_id,
        response_type: 'code',
        redirect_uri: REDIRECT,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        scope: 'mcp',
        state: randomBytes(8).toString('hex'),
        ...(resource ? { resource } : {}),
      }).toString();
      let p = await b.get(u.href);
      if (!p.stopped) p = await allow(b, p);
      return { at: new URL(p.url), verifier };
    };
    const noResource = await authorize();
    expect(noResource.at.searchParams.get('error')).toBe('invalid_target');

    const { at, verifier } = await authorize(tv.mcpUrl);
    const code = at.searchParams.get('code')!;
    const exchange = (v: string, resource: string | undefined = tv.mcpUrl) =>
      tokenRequest(tv, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: reg.client_id,
        code_verifier: v,
        ...(resource ? { resource } : {}),
      });
    const mismatch = await exchange(randomBytes(32).toString('base64url'));
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'invalid_grant' });

    const second = await authorize(tv.mcpUrl);
    const good = await tokenRequest(tv, {
      grant_type: 'authorization_code',
      code: second.at.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: reg.client_id,
      code_verifier: second.verifier,
      resource: tv.mcpUrl,
    });
    expect(good.status).toBe(200);
    const replay = await tokenRequest(tv, {
      grant_type: 'authorization_code',
      code: second.at.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: reg.client_id,
      code_verifier: second.verifier,
      resource: tv.mcpUrl,
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    void verifier;

    // A token of this server minted for another resource is refused at /mcp, with invalid_token.
    const provider = await tv.hosted.connector!.provider();
    const foreign = await mint(provider, {
      accountId: 'carol',
      clientId: reg.client_id,
      grantId: 'some-grant',
      scope: 'mcp',
      aud: 'https://elsewhere.example/mcp',
    });
    const refused = await tv.post(INIT, { authorization: `Bearer ${foreign}` });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(refused.headers.get('www-authenticate')).toContain('not issued for this resource');

    const other = await authorize('https://elsewhere.example/mcp');
    expect(other.at.searchParams.get('error')).toBe('invalid_target');
  });
});
