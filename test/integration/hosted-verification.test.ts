import { afterEach, describe, expect, it } from 'vitest';
import { Browser, completeConsent } from '../support/browser.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';

/**
 * Hosted mode (here: a JWT issuer) activates a grant only when the install can verify people. Without a
 * method nothing connects; an operator who opts out must say so, and then start-up warns and every connect
 * page says plainly whose vault the grant goes to.
 */
describe('hosted mode and user verification', () => {
  let as: OidcServer | undefined;
  let tv: Harness | undefined;
  afterEach(async () => {
    await tv?.close();
    await as?.close();
  });

  const start = async (env: Record<string, string>) => {
    as = await startOidcServer();
    tv = await startToolvault({
      providers: asDemoProvider(as),
      env: { TOOLVAULT_JWT_ISSUER: 'https://idp.example', ...env },
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
    const s = await tv.app.services.consent.start('alice', 'demo');
    if (s.status !== 'pending') throw new Error('expected a link');
    return { tv, link: s };
  };

  it('connects nothing when no verification method is configured, and says why at start-up', async () => {
    const { tv, link } = await start({});
    expect(tv.logs.join('\n')).toContain('connect links are refused until one is configured');
    const b = new Browser();
    const page = await b.get(link.authUrl);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Connecting needs sign-in');
    expect((await b.post(link.authUrl, {})).status).toBe(403);
    expect((await tv.app.vault.store.getConsent(link.authId))?.status).toBe('created');
  });

  it('with an explicit opt-out, warns at start-up and names the vault user on the connect page', async () => {
    const { tv, link } = await start({ TOOLVAULT_USER_VERIFICATION: 'off' });
    expect(tv.logs.join('\n')).toContain('user verification is off');
    const page = await new Browser().get(link.authUrl);
    expect(page.html).toContain('This grant is for the toolvault user <strong>alice</strong>');
    expect(page.html).toContain('this server does not check who');
    expect((await completeConsent(link.authUrl, { name: 'alice' })).html).toContain('is connected');
  });
});
