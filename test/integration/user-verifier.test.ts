import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';
import { type OperatorVerifier, startOperatorVerifier } from '../fakes/operator-verifier.js';

/**
 * The operator's user verifier (issue 13 item 2): after the provider, toolvault sends the browser to the
 * operator's app with a signed request and activates the held grant only on a signed confirmation of the
 * link's own user — not another user's, not an expired one, not one used before.
 */
const SECRET = 'operator-verifier-shared-secret-0123456789';

describe('user verifier round trip', () => {
  let as: OidcServer;
  let tv: Harness;
  let op: OperatorVerifier;
  // Near real time: the authorization server's tokens are stamped with the real clock.
  const clock = new FakeClock(Date.now());

  beforeAll(async () => {
    as = await startOidcServer();
    let url = '';
    op = await startOperatorVerifier({ secret: SECRET, clock, toolvaultUrl: () => url });
    tv = await startToolvault({
      clock,
      providers: asDemoProvider(as),
      env: { TOOLVAULT_USER_VERIFIER_URL: op.url, TOOLVAULT_USER_VERIFIER_SECRET: SECRET },
    });
    url = tv.url;
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await op?.close();
    await as?.close();
  });

  const link = async (user: string) => {
    const s = await tv.app.services.consent.start(user, 'demo', undefined, true);
    if (s.status !== 'pending') throw new Error('expected a link');
    return s;
  };
  /** Through the provider and the verifier, stopping before toolvault reads the confirmation. */
  const toConfirmation = async (authUrl: string, name: string) => {
    const browser = new Browser({ stopAt: `${tv.url}/verify/return` });
    const page = await completeConsent(authUrl, { name, browser });
    expect(page.stopped).toBe(true);
    return { browser, confirmationUrl: page.url };
  };
  const deliver = (b: Browser, url: string) => b.get(url, { stopAt: [] });
  const failures = async (userId: string) =>
    tv.app.vault.store.listEvents({ type: 'verification_failed', userId });

  it("accepts a confirmation of the link's own user, once", async () => {
    op.confirmAs = 'alice';
    const { authUrl, authId } = await link('alice');
    const { browser, confirmationUrl } = await toConfirmation(authUrl, 'alice');
    // Held, not active, until the confirmation is read.
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toBeNull();
    const done = await deliver(browser, confirmationUrl);
    expect(done.html).toContain('is connected');
    expect(await tv.app.vault.store.getConnection('alice', 'demo')).toMatchObject({ state: 'healthy' });
    expect(op.requests.at(-1)).toMatchObject({ iss: tv.url, return_to: `${tv.url}/verify/return` });
    expect(JSON.stringify(op.requests)).not.toContain(authId);

    const replay = await deliver(browser, confirmationUrl);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain('already used');
  });

  it("refuses a confirmation of another user, and stores nothing in the link's vault", async () => {
    op.confirmAs = 'mallory';
    const { authUrl, authId } = await link('bob');
    const { browser, confirmationUrl } = await toConfirmation(authUrl, 'bob');
    const page = await deliver(browser, confirmationUrl);
    expect(page.status).toBe(403);
    expect(page.html).toContain('This link is for someone else');
    expect(await tv.app.vault.store.getConnection('bob', 'demo')).toBeNull();
    expect((await tv.app.vault.store.getConsent(authId))?.status).toBe('failed');
    expect(await failures('bob')).toMatchObject([
      { reason: 'user_mismatch', detail: { authId, provenUser: 'mallory', method: 'verifier' } },
    ]);
  });

  it('refuses an expired confirmation, and a forged one', async () => {
    op.confirmAs = 'carol';
    op.lifetimeSec = 30;
    const { authUrl } = await link('carol');
    const { browser, confirmationUrl } = await toConfirmation(authUrl, 'carol');
    clock.advance(60_000);
    const late = await deliver(browser, confirmationUrl);
    expect(late.status).toBe(400);
    expect(late.html).toContain('has expired');

    const forged = new URL(confirmationUrl);
    const [h, p] = forged.searchParams.get('confirmation')!.split('.');
    forged.searchParams.set('confirmation', `${h}.${p}.${'A'.repeat(43)}`);
    expect((await deliver(browser, forged.href)).html).toContain('is not valid');
    expect(await tv.app.vault.store.getConnection('carol', 'demo')).toBeNull();
  });

  it('refuses a confirmation delivered to another browser', async () => {
    op.confirmAs = 'dave';
    op.lifetimeSec = 60;
    const { authUrl } = await link('dave');
    const { confirmationUrl } = await toConfirmation(authUrl, 'dave');
    const elsewhere = await deliver(new Browser(), confirmationUrl);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.html).toContain('not started in this browser');
    expect(await tv.app.vault.store.getConnection('dave', 'demo')).toBeNull();
  });
});
