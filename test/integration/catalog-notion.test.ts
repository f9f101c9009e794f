import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotionFake, startNotionFake } from '../fakes/notion.js';
import { notionConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** The Notion tools against the Notion fake, with and without token rotation. */
describe('Notion tools (tokens that never expire)', () => {
  let rig: CatalogRig;
  let notion: NotionFake;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      notion = await startNotionFake({ now: () => clock.now() });
      return { config: { notion: notionConfig(notion) }, close: () => notion.close() };
    });
    notion.addPage('Runbook: login outages', [
      'Check the identity provider first.',
      'Then the session store.',
    ]);
    await rig.connect('notion');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('exchanges the code with HTTP Basic and a JSON body, and plans probes for a token that never expires', async () => {
    const exchange = notion.requests().find((r) => r.key === 'token')!;
    expect(exchange.status).toBe(200);
    const conn = (await rig.tv.app.vault.store.getConnection('local', 'notion'))!;
    expect(conn.account).toEqual({ id: 'user-ann', name: 'Ann', team: 'ws-1' });
    expect(conn.accessExpiresAt).toBeNull();
    expect(conn.refreshDueAt).toBeNull();
    expect(conn.nextCheckAt).not.toBeNull();
  });

  it('searches, reads a page as text, and creates a page once per key, always with Notion-Version', async () => {
    const found = sc(await rig.call('notion.search', { query: 'runbook' }));
    const page = found.results[0];
    expect(page).toMatchObject({ object: 'page', title: 'Runbook: login outages' });
    const read = sc(await rig.call('notion.readPage', { pageId: page.id }));
    expect(read).toMatchObject({ status: 'ok', title: 'Runbook: login outages', truncated: false });
    expect(read.text).toBe('Check the identity provider first.\nThen the session store.');
    const args = {
      parentPageId: page.id,
      title: 'Incident 35436',
      content: 'Login fails.\n\nFiled OPS-1.',
      idempotencyKey: 'inc-1',
    };
    const a = sc(await rig.call('notion.createPage', args));
    const b = sc(await rig.call('notion.createPage', args));
    expect(b).toMatchObject({ id: a.id, idempotentReplay: true });
    expect(notion.pages().filter((p) => p.title === 'Incident 35436')).toHaveLength(1);
    expect(
      notion
        .requests()
        .filter((r) => r.key !== 'authorize' && r.key !== 'token')
        .every((r) => r.status !== 400),
    ).toBe(true);
  });

  it('names a page the integration cannot see', async () => {
    const r = sc(await rig.call('notion.readPage', { pageId: '0000000000004000800000000000dead' }));
    expect(r).toMatchObject({ status: 'error', kind: 'not_found' });
    expect(r.message).toContain('object_not_found');
  });
});

describe('Notion with token rotation on', () => {
  let rig: CatalogRig;
  let notion: NotionFake;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      notion = await startNotionFake({ now: () => clock.now(), rotation: true });
      return { config: { notion: notionConfig(notion) }, close: () => notion.close() };
    });
    await rig.connect('notion');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('refreshes with a JSON body and keeps the rotated refresh token', async () => {
    const before = rig.tv.app.vault.openTokens(
      (await rig.tv.app.vault.store.getConnection('local', 'notion'))!,
    );
    rig.clock.advance(2 * 3_600_000);
    expect(sc(await rig.call('notion.search', { query: '' })).status).toBe('ok');
    const after = rig.tv.app.vault.openTokens(
      (await rig.tv.app.vault.store.getConnection('local', 'notion'))!,
    );
    expect(after.refreshToken).toBeDefined();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(notion.oauth.tokenRequests()['refresh_token']).toBe(1);
  });
});
