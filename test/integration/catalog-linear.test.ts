import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LinearFake, startLinearFake } from '../fakes/linear.js';
import { linearConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** The Linear tools against the Linear fake: GraphQL errors in the body are data, not transport. */
describe('Linear tools', () => {
  let rig: CatalogRig;
  let linear: LinearFake;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      linear = await startLinearFake({ now: () => clock.now() });
      return { config: { linear: linearConfig(linear) }, close: () => linear.close() };
    });
    await rig.connect('linear');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('knows who connected from the viewer query and creates an issue in a team by key', async () => {
    const conn = await rig.tv.app.vault.store.getConnection('local', 'linear');
    expect(conn?.account).toMatchObject({ id: 'user-ann', name: 'ann@example.com' });
    const r = sc(
      await rig.call('linear.createIssue', {
        teamKey: 'ENG',
        title: 'Login fails',
        description: 'From Zendesk',
      }),
    );
    expect(r).toMatchObject({ status: 'ok', identifier: 'ENG-1', url: expect.stringContaining('ENG-1') });
  });

  it('searches and comments by identifier, once per idempotencyKey', async () => {
    const found = sc(await rig.call('linear.searchIssues', { query: 'login' }));
    expect(found.issues).toEqual([
      expect.objectContaining({ identifier: 'ENG-1', team: 'ENG', state: 'Todo' }),
    ]);
    const args = { issueId: 'ENG-1', body: 'Customer confirmed', idempotencyKey: 'c-1' };
    await rig.call('linear.addComment', args);
    const again = sc(await rig.call('linear.addComment', args));
    expect(again.idempotentReplay).toBe(true);
    expect(linear.issues()[0]!.comments).toEqual(['Customer confirmed']);
  });

  it('reports a 200 body with errors[] as the request’s own failure', async () => {
    const missing = sc(await rig.call('linear.addComment', { issueId: 'ENG-99', body: 'x' }));
    expect(missing).toMatchObject({
      status: 'error',
      kind: 'not_found',
      details: ['Entity not found: Issue'],
    });
    const team = sc(await rig.call('linear.createIssue', { teamKey: 'OPS', title: 'x' }));
    expect(team).toMatchObject({ status: 'error', kind: 'not_found' });
  });

  it('reads RATELIMITED in the body as a rate limit, with the wait from the reset header', async () => {
    linear.failNext('POST /graphql', { kind: 'ratelimited', retryAfter: 90 });
    const r = sc(await rig.call('linear.searchIssues', { query: 'login' }));
    expect(r).toMatchObject({ status: 'error', kind: 'rate_limited', retryAfterSeconds: 90 });
  });

  it('reads AUTHENTICATION_ERROR as an expired token: one refresh, one retry', async () => {
    linear.failNext('POST /graphql', {
      reply: {
        status: 400,
        body: {
          errors: [{ message: 'Authentication required', extensions: { code: 'AUTHENTICATION_ERROR' } }],
        },
      },
    });
    const before = linear.oauth.tokenRequests()['refresh_token'] ?? 0;
    const r = sc(await rig.call('linear.searchIssues', { query: 'login' }));
    expect(r.status).toBe('ok');
    expect(linear.oauth.tokenRequests()['refresh_token']).toBe(before + 1);
  });

  it('reads "Invalid scope: `write` required" as a scope gap', async () => {
    // The team lookup is a read and passes; the mutation is refused.
    linear.failNext('POST /graphql', {
      reply: { status: 200, body: { data: { teams: { nodes: [{ id: 'team-1' }] } } } },
    });
    linear.failNext('POST /graphql', {
      reply: {
        status: 200,
        body: { errors: [{ message: 'Invalid scope: `write` required', extensions: { code: 'FORBIDDEN' } }] },
      },
    });
    const r = sc(await rig.call('linear.createIssue', { teamKey: 'ENG', title: 'x' }));
    expect(r).toMatchObject({
      status: 'auth_required',
      reason: 'scope_update_required',
      missingScopes: ['write'],
    });
  });
});
