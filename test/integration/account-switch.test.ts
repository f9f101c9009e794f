import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { Browser, completeConsent, type Page } from '../support/browser.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * Issue 8, item 3: the right account. Consent records who consented (the id_token's `sub`, Slack's user and
 * team, GitHub's login by probe). A reconnect that comes back as another account does not replace the grant:
 * the page names both and asks, with a single-use confirmation; until the user confirms, the old grant stays
 * and nothing of the new one is stored. Also here: a first consent asks for the provider's default scopes
 * with the tool's (not one consent per tool).
 */

describe('who consented', () => {
  let rig: ActionRig;
  beforeAll(async () => {
    rig = await startActionRig();
  });
  afterAll(() => rig?.close());

  it('is learned from the probe when the token response does not say (GitHub login)', async () => {
    await rig.connect('github');
    const row = await rig.tv.app.vault.store.getConnection('local', 'github');
    expect(row?.account).toEqual({ id: '583231', name: 'octocat' });
  });

  it("is the token response's user and team at Slack", async () => {
    await rig.connect('slack');
    const row = await rig.tv.app.vault.store.getConnection('local', 'slack');
    expect(row?.account).toMatchObject({
      id: expect.stringMatching(/^U/),
      team: expect.stringMatching(/^T/),
    });
  });
});

describe('a reconnect as another account', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  const store = () => rig.tv.app.vault.store;

  /** Starts a reconnect for `user` and signs in at the provider as `as`; returns the page back at toolvault. */
  async function reconnectAs(user: string, as: string, browser = new Browser()) {
    const started = await rig.tv.app.services.consent.start(user, 'demo', undefined, true);
    if (started.status !== 'pending') throw new Error('expected a link');
    const page = await completeConsent(started.authUrl, { name: as, browser });
    return { page, authId: started.authId, browser };
  }

  /** Submits the switch page's form with `decision`, then signs in as `as` wherever the provider asks. */
  async function answer(
    browser: Browser,
    page: Page,
    decision: 'switch' | 'keep',
    as: string,
  ): Promise<Page> {
    let next = await browser.submitForm(page, { decision });
    for (let i = 0; i < 5 && next.url.startsWith(rig.as.issuer) && next.html.includes('<form'); i++) {
      next = await browser.submitForm(next, { name: as });
    }
    return next;
  }

  const confirmToken = (page: Page) => /name="token" value="([^"]+)"/.exec(page.html)?.[1] ?? '';

  it('records the id_token subject as the account and shows it in auth.status', async () => {
    await rig.connect('local');
    expect((await rig.row('local')).account).toMatchObject({ id: 'local' });
    const status = await rig.tv.app.services.connections.list('local');
    expect(status[0]?.account).toMatchObject({ id: 'local' });
  });

  it('names both accounts and keeps the old grant, storing nothing of the new one, until confirmed', async () => {
    const before = await rig.connect('alice');
    const tokensBefore = rig.tv.app.vault.openTokens(before);
    const { page, authId } = await reconnectAs('alice', 'mallory');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Switch the demo account?');
    expect(page.html).toMatch(/data-account="current">alice</);
    expect(page.html).toMatch(/data-account="incoming">mallory</);
    expect(confirmToken(page)).toMatch(/^[\w-]{40,}$/);

    const after = await rig.row('alice');
    expect(after).toMatchObject({ state: 'healthy', version: before.version, account: { id: 'alice' } });
    expect(Buffer.from(after.secret.blob).equals(Buffer.from(before.secret.blob))).toBe(true);
    expect(rig.tv.app.vault.openTokens(after)).toEqual(tokensBefore);
    // The agent waiting on the consent still sees it pending; calls still act as alice.
    const waited = await rig.tv.app.services.consent.waitFor(authId, 0, 'alice');
    expect(waited).toMatchObject({ status: 'exchanging', switchAccount: { id: 'mallory' } });
    expect(await rig.act('alice')).toEqual({ ok: true, value: 'alice' });
    // Nothing of mallory's sign-in is anywhere in the vault.
    for (const row of await store().listConnections()) {
      expect(row.account?.id).not.toBe('mallory');
    }
    expect((await rig.events('alice', 'account_mismatch'))[0]?.detail).toMatchObject({
      current: 'alice',
      incoming: 'mallory',
    });
  });

  it('keeps the old account when the user says so, and the confirmation works once', async () => {
    const before = await rig.connect('bob');
    const { page, authId, browser } = await reconnectAs('bob', 'eve');
    const kept = await answer(browser, page, 'keep', 'eve');
    expect(kept.html).toContain('demo is unchanged');
    expect(await store().getConsent(authId)).toMatchObject({
      status: 'failed',
      error: 'account_switch_declined',
    });
    expect(await rig.row('bob')).toMatchObject({ version: before.version, account: { id: 'bob' } });

    const replay = await browser.post(`${rig.tv.url}/oauth/confirm-account`, {
      token: confirmToken(page),
      decision: 'switch',
    });
    expect(replay.status).toBe(410);
    expect(await rig.row('bob')).toMatchObject({ version: before.version, account: { id: 'bob' } });
  });

  it('switches once confirmed: a second sign-in as the confirmed account replaces the grant', async () => {
    const before = await rig.connect('carol');
    const { page, authId, browser } = await reconnectAs('carol', 'dave');
    const done = await answer(browser, page, 'switch', 'dave');
    expect(done.html).toContain('is connected');
    const after = await rig.row('carol');
    expect(after).toMatchObject({ id: before.id, state: 'healthy', account: { id: 'dave' } });
    expect(after.version).toBeGreaterThan(before.version);
    expect(await rig.act('carol')).toEqual({ ok: true, value: 'dave' });
    expect(await store().getConsent(authId)).toMatchObject({ status: 'completed', expectedAccount: 'dave' });
    const [completed] = (await rig.events('carol', 'state_changed')).filter(
      (e) => e.detail['accountSwitched'] !== undefined,
    );
    expect(completed?.detail).toMatchObject({ accountSwitched: { from: 'carol', to: 'dave' } });
  });

  it('refuses a confirmation after its ten minutes', async () => {
    const before = await rig.connect('frank');
    const { page, authId, browser } = await reconnectAs('frank', 'grace');
    rig.clock.advance(11 * 60_000);
    const late = await browser.submitForm(page, { decision: 'switch' });
    expect(late.status).toBe(410);
    expect(await rig.row('frank')).toMatchObject({ version: before.version, account: { id: 'frank' } });
    expect(rig.tv.app.services.consent.isExpired((await store().getConsent(authId))!)).toBe(true);
  });

  it('a reconnect as the same account simply renews the grant', async () => {
    const before = await rig.connect('henry');
    const { page } = await reconnectAs('henry', 'henry');
    expect(page.html).toContain('is connected');
    expect(await rig.row('henry')).toMatchObject({ account: { id: 'henry' }, version: before.version + 1 });
  });
});

describe("a tool's first consent", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it("asks for the provider's default scopes with the tool's, so the next tool needs no second consent", async () => {
    const out = await rig.tv.app.services.access.call('newbie', 'demo', ['api:read'], async () => 'never');
    if (out.ok || out.failure.type !== 'auth_required') throw new Error('expected auth_required');
    const consent = await rig.tv.app.vault.store.getConsent(out.failure.start.authId);
    expect(consent?.scopes).toEqual(['api:read', 'offline_access', 'openid']);
    expect(out.failure.start.reason).toBe('not_connected');
  });
});
