import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { Browser } from '../support/browser.js';
import { allow, mint, REDIRECT, signIn, TestOAuthProvider, tokenRequest } from '../support/connector.js';
import { type HostedHarness, INIT, startHosted } from '../support/hosted.js';

/**
 * Hosted toolvault as a connector (issue 14): the MCP SDK client's own OAuth support finds the authorization
 * server from a keyless 401, registers itself (DCR), sends the person to sign in with toolvault's own sign-in
 * and consent, then calls tools as that person and refreshes its token. And the refusals a client can meet.
 */

describe('toolvault as a connector (OAuth 2.1 authorization server for /mcp)', () => {
  let tv: HostedHarness;

  beforeAll(async () => {
    tv = await startHosted({ env: { TOOLVAULT_CONNECTOR: '1', TOOLVAULT_SIGNIN_LINKS: '1' } });
    // A key exists: keyless loopback callers are no longer served as the local user.
    await tv.key('bob');
  });
  afterAll(async () => {
    await tv?.close();
  });

  it('advertises itself: protected-resource metadata with absolute URLs, RFC 8414 metadata at its own URL', async () => {
    const keyless = await tv.post(INIT);
    expect(keyless.status).toBe(401);
    expect(keyless.headers.get('www-authenticate')).toContain(
      `resource_metadata="${tv.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    const prm = (await (await fetch(`${tv.url}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<
      string,
      unknown
    >;
    expect(prm).toMatchObject({ resource: tv.mcpUrl, authorization_servers: [`${tv.url}/as`] });
    const res = await fetch(`${tv.url}/.well-known/oauth-authorization-server/as`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta['issuer']).toBe(`${tv.url}/as`);
    expect(meta['code_challenge_methods_supported']).toEqual(['S256']);
    expect(meta['registration_endpoint']).toBe(`${tv.url}/as/reg`);
    expect(meta['token_endpoint_auth_methods_supported']).toContain('none');
    expect(meta['authorization_response_iss_parameter_supported']).toBe(true);
    expect(meta['client_id_metadata_document_supported']).toBe(true);
  });

  it('connects the SDK client through DCR, sign-in and consent; it calls tools as that person and refreshes', async () => {
    const provider = new TestOAuthProvider();
    const connect = async () => {
      const client = new Client({ name: 'connector-agent', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(tv.mcpUrl), { authProvider: provider });
      await client.connect(transport);
      return { client, transport };
    };
    const first = new Client({ name: 'connector-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(tv.mcpUrl), { authProvider: provider });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.info?.client_id).toBeTruthy();
    const authUrl = provider.authorizationUrl!;
    expect(authUrl.searchParams.get('resource')).toBe(tv.mcpUrl);

    const b = new Browser({ stopAt: REDIRECT });
    // Not signed in: the authorization lands on toolvault's sign-in page.
    const unsigned = await b.get(authUrl.href);
    expect(new URL(unsigned.url).pathname).toBe('/signin');
    const back = await signIn(tv, b, 'alice');
    expect(back.html).toContain('Allow Test Agent to use your tools?');
    expect(back.html).toContain('127.0.0.1:1');
    const done = await allow(b, back);
    expect(done.stopped).toBe(true);
    const redirect = new URL(done.url);
    expect(redirect.searchParams.get('iss')).toBe(`${tv.url}/as`);
    const code = redirect.searchParams.get('code');
    expect(code, done.url).toBeTruthy();
    await transport.finishAuth(code!);
    expect(provider.saved?.refresh_token).toBeTruthy();

    const { client } = await connect();
    const whoami = (await client.callTool({ name: 'auth_status', arguments: {} })) as {
      structuredContent?: Record<string, unknown>;
    };
    expect(JSON.stringify(whoami)).not.toContain(provider.saved!.access_token);
    // The token's subject is the vault user: the audit trail names alice, as an API key of hers would.
    await tv.app.flushAudit();
    const audit = await tv.app.vault.store.listAudit();
    expect(audit.map((a) => [a.userId, a.tool])).toContainEqual(['alice', 'auth.status']);
    expect(JSON.stringify(audit)).not.toContain(provider.saved!.access_token);

    // Refresh: rotation gives a new refresh token; the new access token works, and the old refresh is dead.
    const old = provider.saved!;
    const refreshed = await tokenRequest(tv, {
      grant_type: 'refresh_token',
      refresh_token: old.refresh_token!,
      client_id: provider.info!.client_id,
      resource: tv.mcpUrl,
    });
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as OAuthTokens;
    expect(fresh.refresh_token).not.toBe(old.refresh_token);
    const ok = await tv.post(INIT, { authorization: `Bearer ${fresh.access_token}` });
    expect(ok.status).toBe(200);

    // Revocation (RFC 7009): the revoked access token is refused at /mcp with invalid_token.
    const revoked = await fetch(`${tv.url}/as/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: fresh.access_token,
        client_id: provider.info!.client_id,
      }).toString(),
    });
    expect(revoked.status).toBe(200);
    const dead = await tv.post(INIT, { authorization: `Bearer ${fresh.access_token}` });
    expect(dead.status).toBe(401);
    expect(dead.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // A second authorization by the same person and client is remembered: no consent page.
    const again = new URL(authUrl);
    again.searchParams.set('state', 'x2');
    const remembered = await b.get(again.href);
    expect(remembered.stopped).toBe(true);
    const code2 = new URL(remembered.url).searchParams.get('code');
    expect(code2).toBeTruthy();
    const second = await tokenRequest(tv, {
      grant_type: 'authorization_code',
      code: code2!,
      redirect_uri: REDIRECT,
      client_id: provider.info!.client_id,
      code_verifier: provider.verifier,
      resource: tv.mcpUrl,
    });
    expect(second.status).toBe(200);
    const newest = (await second.json()) as OAuthTokens;
    expect((await tv.post(INIT, { authorization: `Bearer ${newest.access_token}` })).status).toBe(200);
    await client.close();

    // The person takes it back: the grant's tokens die, and the client is refused at /mcp.
    const list = await b.get(`${tv.url}/as/grants`);
    expect(list.html).toContain('Test Agent');
    const revokedByPerson = await b.submitForm(list);
    expect(revokedByPerson.html).toContain('None.');
    const afterRevoke = await tv.post(INIT, { authorization: `Bearer ${newest.access_token}` });
    expect(afterRevoke.status).toBe(401);
    const refreshAfter = await tokenRequest(tv, {
      grant_type: 'refresh_token',
      refresh_token: newest.refresh_token!,
      client_id: provider.info!.client_id,
      resource: tv.mcpUrl,
    });
    expect(await refreshAfter.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('an expired connector token', () => {
  afterAll(() => {
    vi.useRealTimers();
  });

  it('gets 401 invalid_token at /mcp, never a 200', async () => {
    const tv = await startHosted({ env: { TOOLVAULT_CONNECTOR: '1', TOOLVAULT_SIGNIN_LINKS: '1' } });
    try {
      await tv.key('bob');
      const provider = await tv.hosted.connector!.provider();
      const token = await mint(provider, {
        accountId: 'alice',
        clientId: 'c',
        grantId: 'g',
        scope: 'mcp',
        aud: tv.mcpUrl,
        expiresIn: 60,
      });
      expect((await tv.post(INIT, { authorization: `Bearer ${token}` })).status).toBe(200);
      // Only Date moves (oidc-provider reads the time from it); timers and sockets keep running.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000 });
      const expired = await tv.post(INIT, { authorization: `Bearer ${token}` });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      vi.useRealTimers();
      await tv.close();
    }
  });
});
