import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, parseForm } from '../support/browser.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';

/**
 * The browser binding of issue 13 item 1: Continue needs the connect page's own cookie, the token in its
 * form and our Origin; every step after it needs the flow cookie of the browser that pressed it.
 */
describe('connect links bound to the browser', () => {
  let as: OidcServer;
  let tv: Harness;

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({ providers: asDemoProvider(as) });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  const link = async (user = 'local') => {
    const s = await tv.app.services.consent.start(user, 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    return s;
  };
  const notStarted = async (authUrl: string, authId: string) => {
    expect((await tv.app.vault.store.getConsent(authId))?.status).toBe('created');
    // The link itself still works for its owner.
    expect((await new Browser().get(authUrl)).status).toBe(200);
  };

  it('sets a per-link SameSite=Strict HttpOnly cookie on the connect page', async () => {
    const { authUrl } = await link();
    const page = await new Browser().get(authUrl);
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('tv_form='));
    expect(cookie).toMatch(/; Path=\/connect\/[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict/);
    expect(parseForm(page.html, page.url)?.fields['csrf']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses Continue without the page cookie, with a wrong token, or from another origin', async () => {
    const { authUrl, authId } = await link();
    const bare = await new Browser().post(authUrl, {});
    expect(bare.status).toBe(403);
    expect(bare.html).toContain('Not started here');

    const b = new Browser();
    const page = await b.get(authUrl);
    const csrf = parseForm(page.html, page.url)!.fields['csrf']!;
    expect((await b.post(authUrl, { csrf: 'f'.repeat(64) })).status).toBe(403);
    expect((await b.post(authUrl, { csrf }, { from: 'http://localhost:1/' })).status).toBe(403);
    // A stolen token without this browser's cookie is no better.
    expect((await new Browser().post(authUrl, { csrf })).status).toBe(403);
    await notStarted(authUrl, authId);
    expect((await b.post(authUrl, { csrf }, { stopAt: as.issuer })).stopped).toBe(true);
  });

  it('refuses a callback finished in another browser, and stores nothing', async () => {
    const { authUrl, authId } = await link('dana');
    const b = new Browser();
    const atProvider = await b.submitForm(await b.get(authUrl), {}, { stopAt: `${tv.url}/oauth/callback` });
    // The provider signs Dana in and sends the code back: but it arrives in another browser.
    const back = await b.submitForm(atProvider, { name: 'dana' }, { stopAt: `${tv.url}/oauth/callback` });
    expect(back.stopped).toBe(true);
    const elsewhere = await new Browser().get(back.url);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.html).toContain('not started in this browser');
    expect(await tv.app.vault.store.getConnection('dana', 'demo')).toBeNull();
    expect((await tv.app.vault.store.getConsent(authId))?.status).toBe('failed');
    const [event] = await tv.app.vault.store.listEvents({ type: 'verification_failed', userId: 'dana' });
    expect(event).toMatchObject({ reason: 'other_browser', detail: { authId } });
    expect(JSON.stringify(event)).not.toContain(new URL(authUrl).pathname.split('/').pop());
  });
});
