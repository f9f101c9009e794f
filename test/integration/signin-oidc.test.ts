import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignInLink } from '../../src/server/web/signin-links.js';
import { Browser, completeConsent, parseForm } from '../support/browser.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';

/**
 * toolvault's own sign-in with an OpenID Connect provider (an in-process oidc-provider, which here is also
 * the `demo` provider people connect). With sign-in configured, a grant is held until the person in the
 * browser signs in as the link's user; the account-switch question goes only to that proven user.
 */
describe('sign-in with an OpenID Connect provider', () => {
  let as: OidcServer;
  let tv: Harness;

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({
      providers: asDemoProvider(as),
      env: {
        TOOLVAULT_SIGNIN_ISSUER: as.issuer,
        TOOLVAULT_SIGNIN_CLIENT_ID: as.clientId,
        TOOLVAULT_SIGNIN_CLIENT_SECRET: as.clientSecret,
      },
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`, `${tv.url}/signin/oidc/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  const link = async (user: string) => {
    const s = await tv.app.services.consent.start(user, 'demo', undefined, true);
    if (s.status !== 'pending') throw new Error('expected a link');
    return s;
  };
  /** Presses "Sign in with …" on the /signin page and, when the provider asks, types `name`. */
  const signInWithIdp = async (b: Browser, name: string) => {
    let page = await b.get(`${tv.url}/signin`);
    page = await b.submitForm(page);
    while (new URL(page.url).origin === as.issuer && parseForm(page.html, page.url))
      page = await b.submitForm(page, { name });
    return page;
  };

  it('signs in, keeps the session on the server, and ends it on sign-out', async () => {
    const b = new Browser();
    const done = await signInWithIdp(b, 'erin');
    expect(done.url).toBe(`${tv.url}/signin/done`);
    expect(done.html).toContain('signed in to toolvault as <strong>erin</strong>');
    const cookie = b.cookies.header(new URL(tv.url))!;
    const session = /tv_session=([^;]+)/.exec(cookie)![1]!;
    expect(JSON.stringify(await tv.app.vault.store.listEvents())).not.toContain(session);

    const out = await b.submitForm(done);
    expect(out.html).toContain('Signed out');
    // The old cookie, replayed from elsewhere, is dead: the session ended in the store.
    const replay = await fetch(`${tv.url}/signin/done`, {
      headers: { cookie: `tv_session=${session}` },
      redirect: 'manual',
    });
    expect(replay.headers.get('location')).toBe('/signin');
  });

  it('connects the link’s own user once she has signed in', async () => {
    const { authUrl } = await link('alice');
    const b = new Browser();
    const held = await completeConsent(authUrl, { name: 'alice', browser: b });
    expect(new URL(held.url).pathname).toBe('/signin');
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toBeNull();
    const done = await signInWithIdp(b, 'alice');
    expect(done.html).toContain('is connected');
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toMatchObject({
      state: 'healthy',
      account: { id: 'alice' },
    });
  });

  it("refuses Bob on Alice's reconnect link after he signs in, and never asks him to switch accounts", async () => {
    const before = await tv.app.vault.store.getConnection('alice', 'demo');
    const { authUrl, authId } = await link('alice');
    const b = new Browser();
    await completeConsent(authUrl, { name: 'bob', browser: b });
    const refused = await signInWithIdp(b, 'bob');
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('This link is for someone else');
    expect(refused.html).not.toContain('Switch');
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toEqual(before);
    const events = await tv.app.vault.store.listEvents({ type: 'verification_failed', userId: 'alice' });
    expect(events).toMatchObject([{ reason: 'user_mismatch', detail: { authId, provenUser: 'bob' } }]);
    expect((await tv.app.vault.store.listEvents({ type: 'account_mismatch' })).length).toBe(0);
  });

  it("refuses Bob on Alice's scope-update link too", async () => {
    const before = await tv.app.vault.store.getConnection('alice', 'demo');
    const s = await tv.app.services.consent.start('alice', 'demo', ['api:write']);
    expect(s).toMatchObject({ status: 'pending', reason: 'scope_update_required' });
    if (s.status !== 'pending') return;
    const b = new Browser();
    await completeConsent(s.authUrl, { name: 'bob', browser: b });
    expect((await signInWithIdp(b, 'bob')).html).toContain('This link is for someone else');
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toEqual(before);
  });

  it('asks the proven user about an account switch, and nobody else', async () => {
    // Alice, signed in to toolvault with a CLI link, reconnects as another account at the provider.
    const b = new Browser();
    const { url } = await createSignInLink(
      { store: tv.app.vault.store, clock: tv.app.clock, publicUrl: tv.url },
      'alice',
    );
    await b.submitForm(await b.get(url));
    const { authUrl } = await link('alice');
    const question = await completeConsent(authUrl, { name: 'alice-work', browser: b });
    expect(question.html).toContain('Switch the');
    const token = parseForm(question.html, question.url)!.fields['token']!;

    // Someone else holding the question's token — another browser, signed in as bob — is refused.
    const other = new Browser();
    await signInWithIdp(other, 'bob');
    const theirs = await other.post(`${tv.url}/oauth/confirm-account`, { token, decision: 'switch' });
    expect(theirs.status).toBe(403);
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toMatchObject({
      account: { id: 'alice' },
    });
  });

  it('lets the proven user answer the switch question', async () => {
    const b = new Browser();
    const { url } = await createSignInLink(
      { store: tv.app.vault.store, clock: tv.app.clock, publicUrl: tv.url },
      'alice',
    );
    await b.submitForm(await b.get(url));
    const { authUrl } = await link('alice');
    const question = await completeConsent(authUrl, { name: 'alice-work', browser: b });
    const kept = await b.submitForm(question, { decision: 'keep' });
    expect(kept.html).toContain('is unchanged');
  });
});
