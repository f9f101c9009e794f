import type { Request, Response } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { isLocalPath, SESSION_TTL_MS, WebSessions } from '../../src/server/web/sessions.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { Store } from '../../src/vault/types.js';
import { FakeClock } from '../support/clock.js';

/**
 * The sign-in sessions the connector (issue 14) and approvals (issue 15) build on: `currentUser`,
 * `requireUser(req, res, returnTo)`, server-side rows keyed by a hash, expiry, and sign-out that ends them.
 */

/** The slice of express's req/res that sessions use, recording what was sent. */
function exchange(cookie?: string) {
  const sent: { setCookie: string[]; redirect?: [number, string] } = { setCookie: [] };
  const req = { headers: cookie ? { cookie } : {} } as unknown as Request;
  const res = {
    append(name: string, value: string) {
      if (name === 'Set-Cookie') sent.setCookie.push(value);
      return res;
    },
    redirect(status: number, url: string) {
      sent.redirect = [status, url];
    },
  } as unknown as Response;
  return { req, res, sent };
}
const value = (setCookie: string[], name: string) =>
  setCookie
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1);

describe('web sessions', () => {
  let store: Store;
  let sessions: WebSessions;
  const clock = new FakeClock();
  beforeEach(() => {
    store = openSqliteStore(':memory:');
    sessions = new WebSessions({
      store: () => store,
      clock,
      log: createLogger('silent'),
      secure: () => true,
    });
  });
  afterEach(() => store.close());

  it('sends a browser with no session to sign in, remembering where it was going', async () => {
    const { req, res, sent } = exchange();
    expect(await sessions.requireUser(req, res, '/approve/ap_123')).toBeNull();
    expect(sent.redirect).toEqual([303, '/signin']);
    const back = exchange(`tv_return=${value(sent.setCookie, 'tv_return')}`);
    expect(sessions.takeReturn(back.req, back.res)).toBe('/approve/ap_123');
  });

  it('keeps sessions on the server under a hash, until they expire or the person signs out', async () => {
    const signIn = exchange();
    await sessions.signIn(signIn.req, signIn.res, 'alice', 'oidc');
    const cookie = signIn.sent.setCookie.find((c) => c.startsWith('tv_session='))!;
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure$/);
    const id = value(signIn.sent.setCookie, 'tv_session')!;
    const asAlice = () => exchange(`other=1; tv_session=${id}`);

    expect(await sessions.currentUser(asAlice().req)).toBe('alice');
    const { req, res, sent } = asAlice();
    expect(await sessions.requireUser(req, res, '/x')).toBe('alice');
    expect(sent.redirect).toBeUndefined();
    expect(await store.getWebSession(id, clock.now())).toBeNull();

    const out = asAlice();
    await sessions.signOut(out.req, out.res);
    expect(await sessions.currentUser(asAlice().req)).toBeNull();

    const again = exchange();
    await sessions.signIn(again.req, again.res, 'alice', 'link');
    const second = value(again.sent.setCookie, 'tv_session')!;
    clock.advance(SESSION_TTL_MS);
    expect(await sessions.currentUser(exchange(`tv_session=${second}`).req)).toBeNull();
  });

  it('never returns anywhere but a path on this server', () => {
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example', 'javascript:x', ''])
      expect(isLocalPath(bad)).toBe(false);
    expect(isLocalPath('/connect/finish/auth_abc?x=1')).toBe(true);
    const { req, res } = exchange(`tv_return=${encodeURIComponent('//evil.example')}`);
    expect(sessions.takeReturn(req, res)).toBe('/signin/done');
  });
});
