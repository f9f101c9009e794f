import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';

/**
 * The dashboard in a real browser (headless Chromium through playwright-core): sign in through the labelled
 * form, read the table and compare it with the store, disable a connection with the keyboard, and keep a
 * screenshot in test/artifacts/admin.png.
 */

const ADMIN_KEY = 'browser-admin-key-0123456789';
const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('admin dashboard in a browser', () => {
  let as: OidcServer;
  let tv: Harness;
  let browser: Browser;
  let page: Page;
  const clock = new FakeClock(Date.UTC(2026, 6, 1, 9, 0));

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({
      clock,
      env: { TOOLVAULT_ADMIN_KEY: ADMIN_KEY },
      providers: asDemoProvider(as, { displayName: 'Demo OIDC' }),
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
    const act = (u: string) =>
      tv.app.services.access.call(
        u,
        'demo',
        ['openid'],
        async (api) => (await api.request('GET', 'me')).status,
      );
    for (const u of ['alice', 'bob', 'carol', 'dave']) {
      const s = await tv.app.services.consent.start(u, 'demo');
      if (s.status === 'pending') await completeConsent(s.authUrl, { name: u });
      clock.advance(7 * 60_000);
    }
    // Some history: alice works and refreshes, carol's grant is revoked, dave's refresh hits an outage.
    clock.advance(2 * 3600_000);
    await act('alice');
    as.revokeGrantFor('carol');
    await act('carol');
    as.failNext('503_html');
    await act('dave');
    clock.advance(5 * 60_000);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(5_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await tv?.close();
    await as?.close();
  });

  it('signs in through the labelled form', async () => {
    await page.goto(`${tv.url}/admin`);
    await expect(page.title()).resolves.toMatch(/Sign in/);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('table#connections');
    const cookies = await page.context().cookies();
    expect(cookies).toMatchObject([{ name: 'tv_admin', httpOnly: true, sameSite: 'Strict', path: '/admin' }]);
  });

  it('shows the same connections as the store, with their states, and no token in the page', async () => {
    const shown = await page.$$eval('table#connections tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-connection'),
        user: tr.querySelector('th')?.textContent?.trim(),
        state: tr.querySelector('.state')?.textContent?.trim(),
      })),
    );
    const stored = await tv.app.vault.store.listConnections();
    expect(shown).toEqual(
      stored.map((r) => ({ id: r.id, user: r.userId, state: r.state.replaceAll('_', ' ') })),
    );
    expect(shown.map((s) => s.state)).toEqual(['healthy', 'healthy', 'reauthorization required', 'healthy']);
    // Header cells name every column for screen readers; every form control has an accessible name.
    const headers = await page.$$eval('table#connections thead th', (ths) =>
      ths.map((th) => th.getAttribute('scope')),
    );
    expect(new Set(headers)).toEqual(new Set(['col']));
    const unnamed = await page.$$eval(
      'button, input:not([type=hidden])',
      (els) =>
        els.filter(
          (el) => !(el.getAttribute('aria-label') || el.textContent?.trim() || (el as any).labels?.length),
        ).length,
    );
    expect(unnamed).toBe(0);
    const html = await page.content();
    for (const row of stored) {
      const t = tv.app.vault.openTokens(row);
      for (const s of [t.accessToken, t.refreshToken, t.idToken]) if (s) expect(html).not.toContain(s);
    }
    expect(html).not.toContain(ADMIN_KEY);
    expect(html).not.toContain(as.clientSecret);
  });

  it('shows keyboard focus visibly', async () => {
    await page.keyboard.press('Tab');
    // Evaluated in the page (the project's tsconfig has no DOM types).
    const skip = await page.evaluate('document.activeElement?.textContent');
    expect(skip).toBe('Skip to content');
    await page.getByRole('button', { name: 'Disable Demo OIDC for bob' }).focus();
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
  });

  it('disables a connection from the keyboard, and the store and the page agree', async () => {
    const bob = (await tv.app.vault.store.getConnection('bob', 'demo'))!;
    await page.getByRole('button', { name: 'Disable Demo OIDC for bob' }).press('Enter');
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toBe(
      'Disabled Demo OIDC for bob. Its calls are refused until it is enabled.',
    );
    expect((await tv.app.vault.store.getConnectionById(bob.id))!.state).toBe('disabled');
    expect(await page.locator(`tr[data-connection="${bob.id}"] .state`).textContent()).toBe('disabled');
    await expect(page.getByRole('button', { name: 'Enable Demo OIDC for bob' }).count()).resolves.toBe(1);
    expect(await page.locator('table#events tbody tr').first().textContent()).toContain('operator_disabled');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'admin.png'), fullPage: true });
  });
});
