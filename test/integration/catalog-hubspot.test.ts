import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubspotFake, startHubspotFake } from '../fakes/hubspot.js';
import { hubspotConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** The HubSpot tools against the HubSpot fake: v3 token shapes, 30-minute tokens, categories. */
describe('HubSpot tools', () => {
  let rig: CatalogRig;
  let hs: HubspotFake;
  let ann: string;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      hs = await startHubspotFake({ now: () => clock.now() });
      return { config: { hubspot: hubspotConfig(hs) }, close: () => hs.close() };
    });
    ann = hs.addContact({ email: 'ann@example.com', firstname: 'Ann', lastname: 'Lee', company: 'Acme' });
    hs.addContact({ email: 'bob@example.com', firstname: 'Bob' });
    await rig.connect('hubspot');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('reads the camelCase v3 token body: 30 minutes, the portal as the account, the scopes granted', async () => {
    const conn = (await rig.tv.app.vault.store.getConnection('local', 'hubspot'))!;
    expect(conn.accessExpiresAt! - conn.accessIssuedAt!).toBe(1800 * 1000);
    expect(conn.account).toEqual({ id: '7001', team: String(hs.hubId) });
    expect(conn.scopes).toContain('crm.objects.contacts.write');
  });

  it('finds a contact and notes on it once per idempotencyKey', async () => {
    const found = sc(await rig.call('hubspot.searchContacts', { query: 'ann@example.com' }));
    expect(found.contacts).toEqual([{ id: ann, email: 'ann@example.com', name: 'Ann Lee', company: 'Acme' }]);
    const args = { contactId: ann, body: 'Zendesk #35436 filed as OPS-1', idempotencyKey: 'note-1' };
    const a = sc(await rig.call('hubspot.createNote', args));
    const b = sc(await rig.call('hubspot.createNote', args));
    expect(a).toMatchObject({ status: 'ok', id: expect.any(String), contactId: ann });
    expect(b).toMatchObject({ id: a.id, idempotentReplay: true });
    expect(hs.notes()).toEqual([{ id: a.id, body: args.body, contactIds: [ann] }]);
  });

  it('refreshes after 30 minutes and keeps the refresh token it has (no rotation)', async () => {
    const before = rig.tv.app.vault.openTokens(
      (await rig.tv.app.vault.store.getConnection('local', 'hubspot'))!,
    );
    rig.clock.advance(31 * 60_000);
    expect(sc(await rig.call('hubspot.searchContacts', { query: 'bob' })).status).toBe('ok');
    const after = rig.tv.app.vault.openTokens(
      (await rig.tv.app.vault.store.getConnection('local', 'hubspot'))!,
    );
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
  });

  it('reads MISSING_SCOPES as a scope gap naming the granular scope', async () => {
    hs.failNext('POST /notes', {
      reply: {
        status: 403,
        body: {
          category: 'MISSING_SCOPES',
          message: 'missing',
          errors: [{ context: { requiredGranularScopes: ['crm.objects.notes.write'] } }],
        },
      },
    });
    const r = sc(await rig.call('hubspot.createNote', { contactId: ann, body: 'x' }));
    expect(r).toMatchObject({ status: 'auth_required', reason: 'scope_update_required' });
    expect(r.missingScopes).toContain('crm.objects.notes.write');
  });

  it('reads a v3 BAD_REFRESH_TOKEN error as a revoked grant', async () => {
    await rig.connect('hubspot', ['crm.objects.notes.write']);
    hs.oauth.revokeAll();
    rig.clock.advance(31 * 60_000);
    const r = sc(await rig.call('hubspot.searchContacts', { query: 'ann' }));
    expect(r).toMatchObject({ status: 'auth_required', reason: 'reauthorization_required' });
    const last = hs
      .requests()
      .filter((x) => x.key === 'token')
      .at(-1)!;
    expect(last.status).toBe(400);
    const conn = (await rig.tv.app.vault.store.getConnection('local', 'hubspot'))!;
    expect(conn.lastError).toMatchObject({ kind: 'revoked', code: 'bad_refresh_token' });
  });
});
