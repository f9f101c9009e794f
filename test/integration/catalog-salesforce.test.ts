import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SalesforceFake, startSalesforceFake } from '../fakes/salesforce.js';
import { salesforceConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** The Salesforce tools against a login host and an instance host: instance_url, no expires_in, revoke. */
describe('Salesforce tools', () => {
  let rig: CatalogRig;
  let sf: SalesforceFake;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      sf = await startSalesforceFake({ now: () => clock.now() });
      return { config: { salesforce: salesforceConfig(sf.login) }, close: () => sf.close() };
    });
    sf.addRecord('Account', { Name: 'Acme', Industry: 'Energy' });
    await rig.connect('salesforce');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('keeps the instance URL on the connection and plans a probe for a token with no expires_in', async () => {
    const conn = (await rig.tv.app.vault.store.getConnection('local', 'salesforce'))!;
    expect(rig.tv.app.vault.openTokens(conn).values).toEqual({ instanceUrl: sf.instance.url });
    expect(conn.account).toEqual({ id: '0055g00000A1b2CAAR', team: '00D5g000004JcSTEA0' });
    expect(conn.scopes).toContain('refresh_token');
    expect(conn.accessExpiresAt).toBeNull();
    expect(conn.refreshDueAt).toBeNull();
    expect(conn.nextCheckAt).not.toBeNull();
  });

  it('queries on the instance, attributes removed, and refuses anything but SELECT', async () => {
    const r = sc(await rig.call('salesforce.query', { soql: 'SELECT Id, Name FROM Account' }));
    expect(r).toMatchObject({
      status: 'ok',
      totalSize: 1,
      records: [{ Id: expect.any(String), Name: 'Acme' }],
    });
    expect(sf.instance.apiCalls()).toContain('GET /query');
    const del = sc(await rig.call('salesforce.query', { soql: 'DELETE FROM Account' }));
    expect(del).toMatchObject({ status: 'error', kind: 'invalid_request' });
  });

  it('creates once per key, updates fields, and names missing required fields', async () => {
    const args = {
      sobject: 'Case',
      fields: { Subject: 'Login fails', Origin: 'Zendesk' },
      idempotencyKey: 'case-1',
    };
    const a = sc(await rig.call('salesforce.createRecord', args));
    const b = sc(await rig.call('salesforce.createRecord', args));
    expect(b).toMatchObject({ id: a.id, idempotentReplay: true });
    expect(sf.records('Case')).toHaveLength(1);
    const u = sc(
      await rig.call('salesforce.updateRecord', {
        sobject: 'Case',
        id: a.id,
        fields: { Status: 'Escalated' },
      }),
    );
    expect(u).toMatchObject({ status: 'ok', updated: ['Status'] });
    expect(sf.records('Case')[0]).toMatchObject({ Status: 'Escalated' });
    const bad = sc(
      await rig.call('salesforce.createRecord', { sobject: 'Account', fields: { Industry: 'x' } }),
    );
    expect(bad).toMatchObject({
      status: 'error',
      kind: 'invalid_request',
      details: ['fields: Name', 'Required fields are missing: [Name]'],
    });
  });

  it('refreshes when the org ends the session (401), then retries once', async () => {
    sf.expireSessions();
    const r = sc(await rig.call('salesforce.query', { soql: 'SELECT Id FROM Account' }));
    expect(r.status).toBe('ok');
    expect(sf.login.oauth.tokenRequests()['refresh_token']).toBe(1);
  });

  it('reads REQUEST_LIMIT_EXCEEDED as a rate limit', async () => {
    sf.instance.failNext('GET /query', 'ratelimited');
    const r = sc(await rig.call('salesforce.query', { soql: 'SELECT Id FROM Account' }));
    expect(r).toMatchObject({ status: 'error', kind: 'rate_limited' });
  });

  it('revokes at the revoke endpoint on disconnect', async () => {
    const r = sc(await rig.call('auth.disconnect', { provider: 'salesforce' }));
    expect(r).toMatchObject({ status: 'ok', revoked: true });
    expect(sf.revoked()).toEqual(['refresh']);
  });
});
