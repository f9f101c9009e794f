import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';
import { CHROMIUM_ARGS } from '../support/chromium.js';
import { createSignInLink } from '../../src/server/web/signin-links.js';

/**
 * The attack of issue 13, in real Chromium. Carol has authorized the app at the provider (it remembers the
 * grant and her session, as GitHub does for OAuth apps). She then visits a page on another site, which
 * auto-submits Mallory's own connect link. Before the browser binding, the provider answered at once and
 * toolvault stored Carol's grant in Mallory's vault: Mallory's `demo_whoami` said `{"subject":"carol"}`.
 */

const ARTIFACTS = join(import.meta.dirname, '../artifacts');

describe('a connect link submitted from another site', () => {
  let as: OidcServer;
  let tv: Harness;
  let browser: Browser;
  let page: Page;
  let evil: Server;
  let evilUrl: string;
  let malloryLink = '';

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({ providers: asDemoProvider(as, { displayName: 'Demo OIDC' }) });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
    // Another site: `localhost` is not the same site as toolvault's `127.0.0.1`.
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Cute cats</title>
<form id="f" method="post" action="${malloryLink}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
    await tv?.close();
    await as?.close();
  });

  const whoami = async (user: string): Promise<string | undefined> => {
    const r = await tv.app.services.access.call(user, 'demo', ['openid'], async (api) => {
      const res = await api.request('GET', 'me');
      return (res.body as { sub?: string }).sub;
    });
    return r.ok ? r.value : `refused: ${r.failure.type}`;
  };

  it('Carol connects her own vault through the connect page', async () => {
    const s = await tv.app.services.consent.start('carol', 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    await page.goto(s.authUrl);
    await page.getByRole('button', { name: /Continue/ }).click();
    await page.getByLabel(/name/i).fill('carol');
    await page.getByRole('button', { name: /continue|sign in|allow/i }).click();
    await page.waitForURL(`${tv.url}/oauth/callback**`);
    expect(await page.textContent('h1')).toContain('connected');
    expect(await whoami('carol')).toBe('carol');
  });

  it("stores nothing in Mallory's vault, and tells Carol so", async () => {
    const s = await tv.app.services.consent.start('mallory', 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    malloryLink = s.authUrl;
    await page.goto(evilUrl);
    await page.waitForURL((u) => u.origin === new URL(tv.url).origin && !u.pathname.startsWith('/demo'));
    await page.waitForLoadState();
    expect(await tv.app.vault.store.getConnection('mallory', 'demo')).toBeNull();
    expect(await page.textContent('h1')).toMatch(/not started here/i);
    expect(await page.textContent('main')).toMatch(/nothing was connected/i);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'connect-cross-site.png') });
    const events = await tv.app.vault.store.listEvents({ type: 'verification_failed', userId: 'mallory' });
    expect(events).toMatchObject([{ reason: 'cross_site_post', detail: { authId: s.authId } }]);
    // Mallory's own tools still ask for her consent.
    expect(await whoami('mallory')).toMatch(/^refused/);
  });
});

/**
 * The same attack where hosted people sign in (one-time sign-in links), and the provider sits on another site
 * (`localhost`): Carol, signed in to toolvault as carol, is talked into opening Mallory's link herself and
 * pressing Continue. The provider answers at once; toolvault sees that the person is carol, not mallory.
 */
describe("a signed-in person who finishes someone else's link", () => {
  let as: OidcServer;
  let tv: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    as = await startOidcServer();
    const port = new URL(as.issuer).port;
    tv = await startToolvault({
      providers: {
        demo: {
          type: 'oauth2',
          displayName: 'Demo OAuth',
          // The authorization response names the real issuer (RFC 9207 `iss`), whatever host served it.
          issuer: as.issuer,
          authorizeUrl: `http://localhost:${port}/auth`,
          tokenUrl: as.tokenEndpoint,
          userinfoUrl: `${as.issuer}/me`,
          apiBaseUrl: as.issuer,
          clientId: as.clientId,
          clientSecret: as.clientSecret,
          scopes: ['openid', 'api:read'],
        },
      },
      env: { TOOLVAULT_SIGNIN_LINKS: '1' },
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await tv?.close();
    await as?.close();
  });

  const signInAs = async (user: string) => {
    const { url } = await createSignInLink(
      { store: tv.app.vault.store, clock: tv.app.clock, publicUrl: tv.url },
      user,
    );
    await page.goto(url);
    await page.getByRole('button', { name: `Sign in as ${user}` }).click();
    await page.waitForURL(`${tv.url}/signin/done`);
  };

  it('connects Carol, signed in as carol, through a provider on another site', async () => {
    await signInAs('carol');
    const s = await tv.app.services.consent.start('carol', 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    await page.goto(s.authUrl);
    await page.getByRole('button', { name: /Continue/ }).click();
    await page.getByLabel(/name/i).fill('carol');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(`${tv.url}/oauth/callback**`);
    expect(await page.textContent('h1')).toContain('connected');
    expect(await tv.app.vault.store.getConnection('carol', 'demo')).toMatchObject({ state: 'healthy' });
  });

  it("refuses Carol on Mallory's link: nothing reaches Mallory's vault", async () => {
    const s = await tv.app.services.consent.start('mallory', 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    await page.goto(s.authUrl);
    await page.getByRole('button', { name: /Continue/ }).click();
    await page.waitForURL(`${tv.url}/oauth/callback**`);
    expect(await page.textContent('h1')).toBe('This link is for someone else');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'connect-wrong-user.png') });
    expect(await tv.app.vault.store.getConnection('mallory', 'demo')).toBeNull();
    const [event] = await tv.app.vault.store.listEvents({ type: 'verification_failed', userId: 'mallory' });
    expect(event).toMatchObject({ reason: 'user_mismatch', detail: { provenUser: 'carol' } });
  });
});
