import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, sc, startToolvault } from '../support/toolvault.js';

describe('consent through a generic OIDC provider', () => {
  let as: OidcServer;
  let tv: Harness;

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({
      providers: asDemoProvider(as),
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  it('connects through a link and reports the connection healthy with the granted scopes', async () => {
    const started = sc(await tv.call('auth_start', { provider: 'demo' }));
    expect(started).toMatchObject({ status: 'pending', provider: 'demo' });
    expect(started.authUrl).toMatch(new RegExp(`^${tv.url}/connect/[A-Za-z0-9_-]{22}$`));

    const page = await completeConsent(started.authUrl, { name: 'alice' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('is connected');

    const status = sc(await tv.call('auth_status', { authId: started.authId, waitSeconds: 5 }));
    expect(status.consent).toMatchObject({ authId: started.authId, state: 'completed' });
    expect(status.connections).toHaveLength(1);
    expect(status.connections[0]).toMatchObject({ provider: 'demo', state: 'healthy' });
    expect(status.connections[0].scopes).toEqual(expect.arrayContaining(['openid', 'offline_access']));
  });

  it('acts through the stored token without the agent seeing it', async () => {
    const r = await tv.call('demo_whoami');
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ status: 'ok', subject: 'alice' });
  });

  it('answers auth.start with connected once every scope is granted', async () => {
    expect(sc(await tv.call('auth.start', { provider: 'demo' }))).toMatchObject({ status: 'connected' });
  });

  it('disconnects: revokes at the provider (RFC 7009), deletes the secrets, and the next call needs consent', async () => {
    const row = await tv.app.vault.store.getConnection('local', 'demo');
    const refreshToken = tv.app.vault.openTokens(row!).refreshToken!;
    const r = sc(await tv.call('auth_disconnect', { provider: 'demo' }));
    expect(r).toMatchObject({ status: 'ok', disconnected: true, revoked: true });
    expect(await tv.app.vault.store.getConnection('local', 'demo')).toBeNull();
    // The provider no longer honours the refresh token.
    const res = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: as.clientId,
        client_secret: as.clientSecret,
      }),
    });
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    const again = await tv.call('demo_whoami');
    expect(sc(again)).toMatchObject({ status: 'auth_required', reason: 'not_connected', provider: 'demo' });
    expect(sc(await tv.call('auth_disconnect', { provider: 'demo' }))).toMatchObject({
      status: 'error',
      kind: 'not_found',
    });
  });
});
