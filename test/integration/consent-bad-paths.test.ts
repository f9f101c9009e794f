import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser, completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, sc, startToolvault } from '../support/toolvault.js';

/**
 * Every bad path of the consent flow shows a page that says why and leaves the vault as it was
 * (issue 2, item 5). "Unchanged" is checked on the connections table, the only place grants live.
 */
describe('consent flow bad paths', () => {
  let as: OidcServer;
  let tv: Harness;
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({
      clock,
      providers: asDemoProvider(as),
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  let before: string;
  const snapshot = async () => JSON.stringify(await tv.app.vault.store.listConnections());
  beforeEach(async () => {
    before = await snapshot();
  });
  const expectVaultUnchanged = async () => expect(await snapshot()).toBe(before);

  const newLink = async () => {
    const r = sc(await tv.call('auth_start', { provider: 'demo' }));
    expect(r.status).toBe('pending');
    return r as { authUrl: string; authId: string };
  };
  /** Presses Continue and stops at the provider: returns the state the provider would send back. */
  const pressContinue = async (authUrl: string) => {
    const b = new Browser();
    const page = await b.submitForm(await b.get(authUrl), {}, { stopAt: as.issuer });
    expect(page.stopped).toBe(true);
    const state = new URL(page.url).searchParams.get('state');
    expect(state).toBeTruthy();
    return { browser: b, state: state! };
  };
  const callback = (query: Record<string, string>, b = new Browser()) =>
    b.get(`${tv.url}/oauth/callback?${new URLSearchParams(query)}`);

  it('shows a page without consuming the link, naming provider, user and scopes', async () => {
    const { authUrl } = await newLink();
    const page = await new Browser().get(authUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<form method="post"');
    expect(page.html).toContain('local');
    expect(page.html).toContain('offline_access');
    expect((await new Browser().get(authUrl)).status).toBe(200);
  });

  it('refuses an unknown link', async () => {
    const page = await new Browser().get(`${tv.url}/connect/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(page.status).toBe(404);
    expect(page.html).toContain('does not exist');
    await expectVaultUnchanged();
  });

  it('refuses an expired link, on the page and on Continue', async () => {
    const { authUrl } = await newLink();
    clock.advance(15 * 60_000 + 1);
    const page = await new Browser().get(authUrl);
    expect(page.status).toBe(410);
    expect(page.html).toContain('expired');
    expect((await new Browser().post(authUrl, {})).html).toContain('expired');
    await expectVaultUnchanged();
  });

  it('refuses a link used twice', async () => {
    const { authUrl } = await newLink();
    await pressContinue(authUrl);
    const again = await new Browser().post(authUrl, {});
    expect(again.status).toBe(410);
    expect(again.html).toContain('already used');
    await expectVaultUnchanged();
  });

  it('refuses a callback whose state matches no link', async () => {
    const page = await callback({ code: 'whatever', state: 'not-a-state-we-sent' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('state mismatch');
    expect((await callback({ code: 'whatever' })).status).toBe(400);
    await expectVaultUnchanged();
  });

  it('refuses a callback without a code and fails the consent', async () => {
    const { authUrl, authId } = await newLink();
    const { state, browser } = await pressContinue(authUrl);
    const page = await callback({ state }, browser);
    expect(page.html).toContain('no authorization code');
    expect((await tv.app.vault.store.getConsent(authId))?.status).toBe('failed');
    await expectVaultUnchanged();
  });

  it('says so when the user declines at the provider', async () => {
    const { authUrl, authId } = await newLink();
    const { state, browser } = await pressContinue(authUrl);
    const page = await callback({ error: 'access_denied', state }, browser);
    expect(page.html).toContain('You declined access');
    const status = sc(await tv.call('auth_status', { authId }));
    expect(status.consent).toMatchObject({ state: 'failed', error: 'access_denied' });
    await expectVaultUnchanged();
  });

  it('refuses a callback that arrives after the sign-in window', async () => {
    const { authUrl } = await newLink();
    const { state, browser } = await pressContinue(authUrl);
    clock.advance(10 * 60_000 + 1);
    const page = await callback({ code: 'late', state }, browser);
    expect(page.html).toContain('expired');
    await expectVaultUnchanged();
  });

  it('stores nothing when the token endpoint fails, and says so', async () => {
    const { authUrl, authId } = await newLink();
    as.failNext('500');
    const page = await completeConsent(authUrl, { name: 'erin' });
    expect(page.status).toBe(502);
    expect(page.html).toContain('Nothing was stored');
    expect((await tv.app.vault.store.getConsent(authId))?.status).toBe('failed');
    await expectVaultUnchanged();
  });

  it('refuses a replayed callback after a successful connection', async () => {
    const { authUrl } = await newLink();
    const b = new Browser();
    const landed = await completeConsent(authUrl, { name: 'frank', browser: b });
    expect(landed.html).toContain('is connected');
    const callbackUrl = landed.url;
    expect(callbackUrl).toContain('/oauth/callback?');
    const afterSuccess = await snapshot();
    const replay = await new Browser().get(callbackUrl);
    expect(replay.status).toBe(409);
    expect(replay.html).toContain('already used');
    expect(await snapshot()).toBe(afterSuccess);
  });
});
