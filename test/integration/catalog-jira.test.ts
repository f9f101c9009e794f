import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFake, startJiraFake } from '../fakes/jira.js';
import { jiraConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

const DAY = 86_400_000;

/** The Jira tools and Atlassian's quirks against the Jira fake. */
describe('Jira tools', () => {
  let rig: CatalogRig;
  let jira: JiraFake;
  let consentAt: number;
  const row = async () => (await rig.tv.app.vault.store.getConnection('local', 'jira'))!;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      jira = await startJiraFake({ now: () => clock.now() });
      return { config: { jira: jiraConfig(jira) }, close: () => jira.close() };
    });
    consentAt = rig.clock.now();
    await rig.connect('jira');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('learns the cloud id from accessible-resources at consent and calls the API through it', async () => {
    expect(jira.apiCalls().slice(0, 2)).toEqual(['GET /accessible-resources', 'GET /myself']);
    const r = sc(
      await rig.call('jira.createIssue', {
        projectKey: 'OPS',
        summary: 'Login fails',
        description: 'Steps:\n1. reset\n\n2. log in',
      }),
    );
    expect(r).toMatchObject({ status: 'ok', key: 'OPS-1' });
    const create = jira.requests().find((x) => x.key === 'POST /issue')!;
    expect(create.path).toBe(`/ex/jira/${jira.cloudId}/rest/api/3/issue`);
    expect(jira.issues()[0]!.description).toMatchObject({ type: 'doc', version: 1 });
    expect((await row()).account).toMatchObject({ id: '5b10ac8d82e05b22cc7d4ef5' });
  });

  it('plans for the 90-day idle limit and the 365-day grant end counted from consent', async () => {
    const r = await row();
    expect(r.refreshExpiresAt).toBe(consentAt + 365 * DAY);
    expect(r.refreshDueAt).not.toBeNull();
    rig.clock.advance(2 * 3_600_000); // the access token (1 h) is past its life
    await rig.call('jira.searchIssues', { jql: 'project = OPS' });
    const after = await row();
    expect(after.lastRefreshAt).toBeGreaterThan(consentAt);
    // Rotation gave a new refresh token, but the grant still ends where consent put it.
    expect(after.refreshExpiresAt).toBe(consentAt + 365 * DAY);
    expect(after.refreshDueAt! - rig.clock.now()).toBeLessThanOrEqual(3_600_000);
  });

  it('searches with JQL, comments, and creates once per idempotencyKey', async () => {
    const found = sc(await rig.call('jira.searchIssues', { jql: 'project = OPS AND text ~ "login"' }));
    expect(found.issues).toEqual([expect.objectContaining({ key: 'OPS-1', status: 'To Do' })]);
    const c = sc(await rig.call('jira.addComment', { issueKey: 'OPS-1', body: 'Seen in Zendesk #35436' }));
    expect(c).toMatchObject({ status: 'ok', issueKey: 'OPS-1', id: expect.any(String) });
    const args = { projectKey: 'OPS', summary: 'Once', idempotencyKey: 'zendesk-1' };
    const a = sc(await rig.call('jira.createIssue', args));
    const b = sc(await rig.call('jira.createIssue', args));
    expect(b).toMatchObject({ key: a.key, idempotentReplay: true });
    expect(jira.issues().filter((i) => i.summary === 'Once')).toHaveLength(1);
  });

  it('moves an issue by target status name and lists the choices when none matches', async () => {
    const moved = sc(
      await rig.call('jira.transitionIssue', { issueKey: 'OPS-1', transition: 'in progress' }),
    );
    expect(moved).toMatchObject({ status: 'ok', transitionId: '21', newStatus: 'In Progress' });
    expect(jira.issues()[0]!.status).toBe('In Progress');
    const wrong = sc(await rig.call('jira.transitionIssue', { issueKey: 'OPS-1', transition: 'Archive' }));
    expect(wrong).toMatchObject({
      status: 'error',
      kind: 'invalid_request',
      available: ['Done', 'Stop work (to To Do)'],
    });
  });

  it('names Jira’s field errors and unknown issues', async () => {
    const bad = sc(await rig.call('jira.createIssue', { projectKey: 'NOPE', summary: 'x' }));
    expect(bad).toMatchObject({
      status: 'error',
      kind: 'invalid_request',
      details: ['project: valid project is required'],
    });
    const gone = sc(await rig.call('jira.addComment', { issueKey: 'OPS-99', body: 'x' }));
    expect(gone).toMatchObject({ status: 'error', kind: 'not_found' });
  });

  it('reads 401 "scope does not match" as a scope gap, not an expired token', async () => {
    jira.failNext('POST /issue/{key}/comment', {
      reply: { status: 401, body: { code: 401, message: 'Unauthorized; scope does not match' } },
    });
    const before = jira.oauth.tokenRequests()['refresh_token'] ?? 0;
    const r = sc(await rig.call('jira.addComment', { issueKey: 'OPS-1', body: 'x' }));
    expect(r).toMatchObject({
      status: 'auth_required',
      reason: 'scope_update_required',
      missingScopes: ['write:jira-work'],
    });
    expect(jira.oauth.tokenRequests()['refresh_token'] ?? 0).toBe(before);
    await rig.connect('jira', ['write:jira-work']);
  });

  it('retries a refresh whose answer was lost inside the 10-minute reuse window, keeping the grant', async () => {
    rig.clock.advance(2 * 3_600_000);
    jira.failNext('token', 'lose_response');
    const r = sc(await rig.call('jira.searchIssues', { jql: 'project = OPS' }));
    expect(r.status).toBe('ok');
    const refreshes = jira.requests().filter((x) => x.key === 'token' && x.grantType === 'refresh_token');
    expect(refreshes.at(-1)!.token).toBe(refreshes.at(-2)!.token);
    expect((await row()).state).toBe('healthy');
  });

  it('reads 403 invalid_grant at the token endpoint as a revoked grant once the probe agrees', async () => {
    jira.oauth.revokeAll();
    rig.clock.advance(2 * 3_600_000);
    const r = sc(await rig.call('jira.searchIssues', { jql: 'project = OPS' }));
    expect(r).toMatchObject({ status: 'auth_required', reason: 'reauthorization_required' });
    expect(
      jira
        .requests()
        .filter((x) => x.key === 'token')
        .at(-1)!.status,
    ).toBe(403);
  });
});
