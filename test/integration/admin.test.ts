import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../src/vault/types.js';
import { AdminAuth, LoginThrottle } from '../../src/server/web/admin-auth.js';
import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';

/**
 * /admin over HTTP: the admin key (cookie session or Bearer), CSRF and origin checks, the dashboard against the
 * store, disable (fencing out a refresh in flight), enable, reconnect links — and no token in any page.
 */

const ADMIN_KEY = 'admin-key-for-tests-0123456789';

describe('/admin', () => {
  let as: OidcServer;
  let tv: Harness;
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  // Token responses can be held after the provider answered, to put a refresh "in flight" at will.
  let holdTokens: Promise<void> | null = null;
  let tokenArrived: () => void = () => undefined;
  const gated: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (
      init?.body instanceof URLSearchParams &&
      init.body.get('grant_type') === 'refresh_token' &&
      holdTokens
    ) {
      tokenArrived();
      await holdTokens;
    }
    return res;
  };
  let cookie = '';
  let csrf = '';

  const connect = async (user: string): Promise<ConnectionRow> => {
    const s = await tv.app.services.consent.start(user, 'demo');
    if (s.status !== 'pending') throw new Error('already connected');
    await completeConsent(s.authUrl, { name: user });
    return (await tv.app.vault.store.getConnection(user, 'demo'))!;
  };
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${tv.url}${path}`, { headers: { cookie, ...headers }, redirect: 'manual' });
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${tv.url}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });
  const secrets = async () => {
    const out = [ADMIN_KEY, as.clientSecret];
    for (const row of await tv.app.vault.store.listConnections()) {
      const t = tv.app.vault.openTokens(row);
      out.push(t.accessToken, ...(t.refreshToken ? [t.refreshToken] : []), ...(t.idToken ? [t.idToken] : []));
    }
    return out;
  };

  beforeAll(async () => {
    as = await startOidcServer();
    tv = await startToolvault({
      clock,
      fetch: gated,
      env: { TOOLVAULT_ADMIN_KEY: ADMIN_KEY },
      providers: asDemoProvider(as),
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
    await connect('alice');
    await connect('bob');
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  it('asks for the key with a labelled form, and refuses a wrong one', async () => {
    const page = await get('/admin');
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toMatch(/<label for="key">Admin key<\/label>/);
    expect(html).toMatch(/<input id="key" name="key" type="password"/);
    const wrong = await post('/admin/login', { key: 'not-the-admin-key-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with the key: an HttpOnly, SameSite=Strict session cookie that does not hold the key', async () => {
    const res = await post('/admin/login', { key: ADMIN_KEY });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin');
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^tv_admin=[\w.-]+; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(set).not.toContain(ADMIN_KEY);
    cookie = set.split(';')[0]!;
    const page = await get('/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    expect(csrf.length).toBeGreaterThan(20);
  });

  it('shows every connection with its state, scopes and history, and no token anywhere', async () => {
    const html = await (await get('/admin')).text();
    const rows = [...html.matchAll(/<tr data-connection="([^"]+)" data-state="([^"]+)">/g)].map((m) => [
      m[1],
      m[2],
    ]);
    const stored = (await tv.app.vault.store.listConnections()).map((r) => [r.id, r.state]);
    expect(rows).toEqual(stored);
    expect(html).toContain('<th scope="col">Last error</th>');
    expect(html).toMatch(/<code>offline_access<\/code>/);
    expect(html).toMatch(/<table id="events">/);
    for (const s of await secrets()) expect(html).not.toContain(s);
  });

  it('refuses changes without the session CSRF token or from another origin', async () => {
    const alice = (await tv.app.vault.store.getConnection('alice', 'demo'))!;
    expect((await post(`/admin/connections/${alice.id}/disable`, {})).status).toBe(403);
    expect((await post(`/admin/connections/${alice.id}/disable`, { csrf: `${csrf}x` })).status).toBe(403);
    expect(
      (await post(`/admin/connections/${alice.id}/disable`, { csrf }, { origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    expect(
      (await post(`/admin/connections/${alice.id}/disable`, { csrf }, { 'sec-fetch-site': 'cross-site' }))
        .status,
    ).toBe(403);
    const other = await fetch(`${tv.url}/admin/connections/${alice.id}/disable`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }),
    });
    expect(other.status).toBe(401);
    expect((await tv.app.vault.store.getConnectionById(alice.id))!.state).toBe('healthy');
  });

  it('disables a connection while its refresh is in flight: the refresh is fenced out, calls are refused', async () => {
    const alice = (await tv.app.vault.store.getConnection('alice', 'demo'))!;
    clock.set(alice.accessExpiresAt! + 1000);
    let release: () => void = () => undefined;
    holdTokens = new Promise<void>((r) => (release = r));
    const arrived = new Promise<void>((r) => (tokenArrived = r));
    const refresh = tv.app.refresher.refresh(alice.id, 'reactive', alice.version);
    await arrived; // the provider has answered (and rotated); toolvault has not committed yet
    const res = await post(`/admin/connections/${alice.id}/disable`, { csrf }, { origin: tv.url });
    expect(res.status).toBe(303);
    holdTokens = null;
    release();
    expect(await refresh).toMatchObject({ ok: false, code: 'disabled' });
    const after = (await tv.app.vault.store.getConnectionById(alice.id))!;
    expect(after).toMatchObject({ state: 'disabled', version: alice.version + 1 });
    expect(after.secret.blob).toEqual(alice.secret.blob);
    const events = await tv.app.vault.store.listEvents({ connectionId: alice.id });
    expect(events.filter((e) => e.type === 'refreshed')).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      type: 'state_changed',
      fromState: 'healthy',
      toState: 'disabled',
      reason: 'operator_disabled',
      detail: { actor: 'admin:cookie' },
    });
    const page = await (await get(res.headers.get('location')!)).text();
    expect(page).toContain('role="status">Disabled demo for alice.');
    expect(page).toContain(`<tr data-connection="${alice.id}" data-state="disabled">`);
    const call = await tv.app.services.access.call('alice', 'demo', ['openid'], async () => 'never');
    expect(call).toMatchObject({ ok: false, failure: { kind: 'disabled' } });
  });

  it('makes no reconnect link for a disabled connection; enabling restores its earlier state', async () => {
    const alice = (await tv.app.vault.store.getConnection('alice', 'demo'))!;
    const refused = await post(`/admin/connections/${alice.id}/reconnect`, { csrf });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Enable the connection');
    const res = await post(`/admin/connections/${alice.id}/enable`, { csrf });
    expect(res.status).toBe(303);
    expect((await tv.app.vault.store.getConnectionById(alice.id))!.state).toBe('healthy');
  });

  it('creates a reconnect link the owner can use, and the connection is healthy again after it', async () => {
    const alice = (await tv.app.vault.store.getConnection('alice', 'demo'))!;
    const res = await post(`/admin/connections/${alice.id}/reconnect`, { csrf });
    expect(res.status).toBe(200);
    const html = await res.text();
    const link = /value="(http:\/\/[^"]+\/connect\/[\w-]+)"/.exec(html)![1]!;
    expect(html).toMatch(/<label for="link">Link<\/label>/);
    const done = await completeConsent(link, { name: 'alice' });
    expect(done.html).toContain('is connected');
    const after = (await tv.app.vault.store.getConnectionById(alice.id))!;
    expect(after.state).toBe('healthy');
    expect(await tv.app.services.access.call('alice', 'demo', ['openid'], async () => 'ok')).toEqual({
      ok: true,
      value: 'ok',
    });
  });

  it('accepts the key as a Bearer header for scripts (no CSRF token needed, no forms shown)', async () => {
    const bob = (await tv.app.vault.store.getConnection('bob', 'demo'))!;
    const bearer = { authorization: `Bearer ${ADMIN_KEY}`, cookie: '' };
    const page = await get('/admin', bearer);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('<form method="post"');
    expect((await post(`/admin/connections/${bob.id}/disable`, {}, bearer)).status).toBe(303);
    expect((await tv.app.vault.store.getConnectionById(bob.id))!.state).toBe('disabled');
    expect((await post(`/admin/connections/${bob.id}/enable`, {}, bearer)).status).toBe(303);
    expect((await get('/admin', { authorization: 'Bearer wrong', cookie: '' })).status).toBe(401);
  });

  it('shows one connection with its own events, and no token in any page it served', async () => {
    const bob = (await tv.app.vault.store.getConnection('bob', 'demo'))!;
    const html = await (await get(`/admin/connections/${bob.id}`)).text();
    expect(html).toContain('demo for bob');
    expect(html).toMatch(/operator_disabled/);
    expect(html).not.toMatch(/<td>alice<\/td>/);
    expect((await get('/admin/connections/nope')).status).toBe(404);
    for (const s of await secrets()) expect(html).not.toContain(s);
  });

  it('signs out', async () => {
    const res = await post('/admin/logout', { csrf });
    expect(res.headers.get('set-cookie')).toMatch(
      /^tv_admin=; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=0/,
    );
  });
});

describe('/admin without an admin key', () => {
  it('is off', async () => {
    const tv = await startToolvault();
    try {
      const res = await fetch(`${tv.url}/admin`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('TOOLVAULT_ADMIN_KEY');
    } finally {
      await tv.close();
    }
  });
});

describe('admin credentials', () => {
  it('matches the key exactly, and sessions expire and cannot be forged', () => {
    let now = 1_000;
    const auth = new AdminAuth(ADMIN_KEY, { now: () => now, secure: () => true, ttlMs: 60_000 });
    expect(auth.matches(ADMIN_KEY)).toBe(true);
    for (const wrong of ['', ADMIN_KEY.slice(0, -1), `${ADMIN_KEY}x`, ADMIN_KEY.toUpperCase()])
      expect(auth.matches(wrong)).toBe(false);
    const session = auth.newSession();
    expect(auth.validSession(session)).toBe(true);
    const [exp, nonce, mac] = session.split('.');
    expect(auth.validSession(`${Number(exp) + 1}.${nonce}.${mac}`)).toBe(false);
    expect(
      new AdminAuth('another-admin-key-0123456789', { now: () => now, secure: () => true }).validSession(
        session,
      ),
    ).toBe(false);
    expect(auth.sessionCookie(session)).toMatch(/; Secure$/);
    expect(auth.validCsrf(session, auth.csrfToken(session))).toBe(true);
    expect(auth.validCsrf(auth.newSession(), auth.csrfToken(session))).toBe(false);
    now += 60_001;
    expect(auth.validSession(session)).toBe(false);
  });

  it('throttles an address after ten wrong keys a minute', () => {
    let now = 0;
    const t = new LoginThrottle(() => now);
    for (let i = 0; i < 10; i++) t.failed('1.2.3.4');
    expect(t.blocked('1.2.3.4')).toBe(true);
    expect(t.blocked('5.6.7.8')).toBe(false);
    now += 61_000;
    expect(t.blocked('1.2.3.4')).toBe(false);
  });
});
