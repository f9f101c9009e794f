import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printEvents } from '../../src/cli/events.js';
import { createSignInLink } from '../../src/server/web/signin-links.js';
import { Browser, completeConsent } from '../support/browser.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

/**
 * Every token toolvault ever held, and every secret it is configured with, is a canary: after a day of
 * scripted trouble (refreshes of every kind, an outage, a revocation, operator actions, an idle alert), none
 * may appear in the metrics, the events, the audit trail, the webhook payloads, the logs, the dashboard or
 * what the agent saw.
 */

const ADMIN_KEY = 'canary-admin-key-0123456789';
const WEBHOOK_SECRET = 'canary-webhook-secret-0123';
const SEC = 1000;

describe('canary sweep', () => {
  let rig: Rig;
  let rx: Receiver;
  const seen = new Set<string>();
  /** Links and session ids: capabilities that belong in their holder's browser and nowhere else. */
  const capabilities = new Set<string>();
  /** What people's browsers saw: connect, sign-in and refusal pages. */
  const browserPages: string[] = [];
  const collect = async () => {
    for (const row of await rig.tv.app.vault.store.listConnections()) {
      const t = rig.tv.app.vault.openTokens(row);
      for (const s of [t.accessToken, t.refreshToken, t.idToken]) if (s) seen.add(s);
    }
    for (const c of rig.wire.apiCalls()) seen.add(c.token);
    for (const r of rig.wire.tokenRequests()) if (r.refreshToken) seen.add(r.refreshToken);
  };

  beforeAll(async () => {
    rx = await startReceiver(WEBHOOK_SECRET);
    rig = await startRig({
      env: {
        TOOLVAULT_ADMIN_KEY: ADMIN_KEY,
        TOOLVAULT_WEBHOOK_URL: rx.url,
        TOOLVAULT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TOOLVAULT_IDLE_ALERT_SEC: '7200',
      },
    });
    await rig.connect('local');
    await rig.connect('victim');
    await rig.connect('sleeper');
    await collect();
    // Calls that refresh before (preflight), after a 401 (reactive), and on schedule (proactive).
    rig.clock.set((await rig.row('local')).accessExpiresAt! + SEC);
    await rig.tv.call('demo_whoami');
    rig.wire.failApiNext({ status: 401, body: { error: 'invalid_token' } });
    await rig.tv.call('demo_whoami');
    await collect();
    rig.toLife(await rig.row('local'), 0.8);
    await rig.tv.app.scheduler.tick();
    await collect();
    // An outage, then a revocation.
    rig.clock.set((await rig.row('local')).accessExpiresAt! + SEC);
    rig.as.failNext('503_html');
    await rig.tv.call('demo_whoami');
    rig.as.revokeGrantFor('victim');
    await rig.act('victim');
    await rig.tv.call('auth_status', {});
    await rig.tv.call('auth_start', { provider: 'demo' });
    // Operator actions and the flat line.
    const sleeper = await rig.row('sleeper');
    await rig.tv.app.operator.disable(sleeper.id, 'sweep');
    await rig.tv.app.operator.enable(sleeper.id, 'sweep');
    rig.clock.advance(3 * 3600 * SEC);
    await rig.tv.app.idleWatch.check();
    await collect();
    // People in browsers: a sign-in link and session (both secrets), a connect page, and an intruder who
    // signs in and opens someone else's link (refused: a verification_failed event).
    const intruder = new Browser();
    const signin = await createSignInLink(
      { store: rig.tv.app.vault.store, clock: rig.tv.app.clock, publicUrl: rig.tv.url },
      'intruder',
    );
    capabilities.add(signin.url.split('/').pop()!);
    const linkPage = await intruder.get(signin.url);
    const signedIn = await intruder.submitForm(linkPage);
    capabilities.add(/tv_session=([^;]+)/.exec(intruder.cookies.header(new URL(rig.tv.url))!)![1]!);
    const victimLink = await rig.tv.app.services.consent.start('victim', 'demo', undefined, true);
    if (victimLink.status !== 'pending') throw new Error('expected a link');
    capabilities.add(victimLink.authUrl.split('/').pop()!);
    const connectPage = await intruder.get(victimLink.authUrl);
    const refused = await completeConsent(victimLink.authUrl, { name: 'intruder', browser: intruder });
    expect(refused.status).toBe(403);
    browserPages.push(linkPage.html, signedIn.html, connectPage.html, refused.html);
    await rig.tv.app.webhooks!.idle();
  });
  afterAll(async () => {
    await rig?.close();
    await rx?.close();
  });

  it('finds no token or secret anywhere an operator or the agent looks', async () => {
    const canaries = [...seen, ADMIN_KEY, WEBHOOK_SECRET, rig.as.clientSecret, rig.tv.masterKey];
    expect(seen.size).toBeGreaterThanOrEqual(10);

    const login = await fetch(`${rig.tv.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: ADMIN_KEY }),
      redirect: 'manual',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const pages = [await (await fetch(`${rig.tv.url}/admin`, { headers: { cookie } })).text()];
    for (const row of await rig.tv.app.vault.store.listConnections())
      pages.push(
        await (await fetch(`${rig.tv.url}/admin/connections/${row.id}`, { headers: { cookie } })).text(),
      );
    const printed: string[] = [];
    await printEvents(rig.tv.app, { limit: 1000 }, (l) => printed.push(l));
    await printEvents(rig.tv.app, { limit: 1000, json: true, audit: true }, (l) => printed.push(l));

    await rig.tv.app.flushAudit();
    const places: Record<string, string> = {
      metrics: await (await fetch(`${rig.tv.url}/metrics`)).text(),
      events: JSON.stringify(await rig.tv.app.vault.store.listEvents({ limit: 100_000 })),
      audit: JSON.stringify(await rig.tv.app.vault.store.listAudit({ limit: 100_000 })),
      webhooks: rx.deliveries.map((d) => `${JSON.stringify(d.headers)}\n${d.raw}`).join('\n'),
      logs: rig.tv.logs.join('\n'),
      dashboard: pages.join('\n'),
      'browser pages': browserPages.join('\n'),
      'toolvault events': printed.join('\n'),
      'tool results': JSON.stringify(rig.tv.results),
    };
    // The sweep looked at something real in each place.
    expect(places['events']).toContain('connection_idle');
    expect(places['events']).toContain('reauthorization_required');
    expect(places['webhooks']).toContain('refresh_failed');
    expect(places['metrics']).toContain(
      'toolvault_refresh_attempts_total{provider="demo",reason="reactive",outcome="ok"}',
    );
    expect(places['audit']).toContain('demo.whoami');
    expect(places['dashboard']).toContain('data-state="reauthorization_required"');
    expect(places['logs']).toContain('"refreshId"');
    expect(places['events']).toContain('verification_failed');
    expect(places['webhooks']).toContain('verification_failed');
    expect(places['browser pages']).toContain('This link is for someone else');
    // Sign-in links, session ids and connect links are capabilities: none may sit where others read.
    expect(places['logs']).toContain('signed in to toolvault');
    const leaks: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      const here = place === 'browser pages' ? canaries : [...canaries, ...capabilities];
      for (const c of here) if (text.includes(c)) leaks.push(`${place}: ${c.slice(0, 6)}…`);
    }
    expect(capabilities.size).toBe(3);
    expect(leaks).toEqual([]);
  });
});
