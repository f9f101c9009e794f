import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { type Harness, startToolvault } from '../support/toolvault.js';
import { createWire, type Wire } from '../support/wire.js';

/**
 * Seed 000, "client secret rotation has a rollback plan": toolvault is configured with a new client secret
 * and the previous one. When the provider refuses the one in use with invalid_client, the same token request
 * is sent once more with the other — once, never in a loop — and the one that worked is kept, recorded as an
 * event, and (when it is the previous one) raised as a configuration alert.
 */

const OLD = 'old-client-secret-0123456789';
const NEW = 'new-client-secret-9876543210';

describe('client secret rotation with rollback', () => {
  let as: OidcServer;
  let tv: Harness;
  let wire: Wire;
  const clock = new FakeClock(Date.UTC(2026, 3, 1));
  const refreshes = () => wire.tokenRequests('refresh_token');
  const setProviderSecret = async (secret: string) => {
    const client = await as.provider.Client.find(as.clientId);
    Object.assign(client!, { clientSecret: secret });
  };
  const expire = async () => {
    const row = await tv.app.vault.store.getConnection('local', 'demo');
    clock.set(Math.max(clock.now(), row!.accessExpiresAt! + 1000));
  };
  const events = async (type: string) =>
    (await tv.app.vault.store.listEvents({ type, limit: 1000 })).filter((e) => e.provider === 'demo');

  beforeAll(async () => {
    // The provider still knows only the old secret: the operator rotated toolvault's config too early.
    as = await startOidcServer({ clientSecret: OLD });
    wire = createWire({ clock });
    tv = await startToolvault({
      clock,
      fetch: wire.fetch,
      providers: asDemoProvider(as, { clientSecret: NEW, previousClientSecret: OLD }),
    });
    await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  it('finishes a consent with the previous secret when the new one is refused, and raises a config alert', async () => {
    const started = await tv.app.services.consent.start('local', 'demo');
    if (started.status !== 'pending') throw new Error('expected a link');
    const page = await completeConsent(started.authUrl, { name: 'local' });
    expect(page.html).toContain('is connected');
    expect(wire.tokenRequests('authorization_code').map((r) => r.status)).toEqual([401, 200]);
    expect(await events('client_secret_switched')).toMatchObject([
      { reason: 'current_secret_rejected', detail: { using: 'previous', grantType: 'authorization_code' } },
    ]);
    expect(await events('alert')).toMatchObject([
      { reason: 'client_secret_fallback', detail: { kind: 'config_error', using: 'previous' } },
    ]);
  });

  it('keeps using the secret that worked: one token request per refresh, no new alert', async () => {
    await expire();
    expect((await tv.call('demo_whoami')).isError).toBeFalsy();
    expect(refreshes().map((r) => r.status)).toEqual([200]);
    expect(await events('alert')).toHaveLength(1);
  });

  it('moves back to the new secret once the provider refuses the old one, without an alert', async () => {
    await setProviderSecret(NEW);
    await expire();
    wire.reset();
    expect((await tv.call('demo_whoami')).isError).toBeFalsy();
    expect(refreshes().map((r) => r.status)).toEqual([401, 200]);
    expect((await events('client_secret_switched')).at(-1)).toMatchObject({
      reason: 'previous_secret_rejected',
      detail: { using: 'current', grantType: 'refresh_token' },
    });
    expect(await events('alert')).toHaveLength(1);
  });

  it('tries each secret once when both are refused: a config error, the connection kept, no loop', async () => {
    await setProviderSecret('a-third-secret-nobody-configured');
    await expire();
    wire.reset();
    const r = await tv.call('demo_whoami');
    expect(r.structuredContent).toMatchObject({ status: 'error', kind: 'config_error' });
    expect(refreshes().map((x) => x.status)).toEqual([401, 401]);
    const row = await tv.app.vault.store.getConnection('local', 'demo');
    expect(row).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'invalid_client' },
    });
    expect((await events('alert')).map((e) => e.reason)).toEqual([
      'client_secret_fallback',
      'provider_config_error',
    ]);
    // Logs name the switch but never a secret.
    const logs = tv.logs.join('\n');
    expect(logs).toContain('client secret switched');
    for (const s of [OLD, NEW]) expect(logs).not.toContain(s);
  });
});
