import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/app/config.js';
import { toolsFor } from '../../src/tools/registry.js';
import { type GenericApiFake, startGenericApiFake } from '../fakes/generic-api.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** `<provider>.request` against a generic `oauth2` provider declared in configuration alone. */
describe('the request tool of a generic oauth2 provider', () => {
  let rig: CatalogRig;
  let api: GenericApiFake;
  const generic = (f: GenericApiFake, extra: Partial<ProviderConfig> = {}): ProviderConfig => ({
    type: 'oauth2',
    clientId: f.oauth.clientId,
    clientSecret: f.oauth.clientSecret,
    authorizeUrl: `${f.url}/oauth/authorize`,
    tokenUrl: `${f.url}/oauth/token`,
    apiBaseUrl: `${f.url}/api`,
    ...extra,
  });
  const request = (args: Record<string, unknown>) => rig.call('corp.request', args);
  const reachedOutside = () => api.requests().some((r) => r.path.startsWith('/elsewhere'));

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      api = await startGenericApiFake({ now: () => clock.now() });
      return {
        config: {
          corp: generic(api),
          locked: generic(api, { requestTool: { write: 'deny' } }),
          quiet: generic(api, { requestTool: false }),
        },
        close: () => api.close(),
      };
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('is listed for each configured provider unless turned off, with its policy as data', async () => {
    const { tools } = await rig.tv.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['corp_request', 'locked_request']));
    expect(names).not.toContain('quiet_request');
    const defs = toolsFor(rig.tv.app.providers.values());
    const corp = defs.find((t) => t.name === 'corp.request')!;
    expect(corp.policy?.({ method: 'GET' })).toBe('allow');
    expect(corp.policy?.({ method: 'HEAD' })).toBe('allow');
    expect(corp.policy?.({ method: 'DELETE' })).toBe('approve');
    expect(defs.find((t) => t.name === 'locked.request')!.policy?.({ method: 'POST' })).toBe('deny');
  });

  it('asks for consent, then returns JSON as data with paging headers and no cookies', async () => {
    const first = sc(await request({ method: 'GET', path: 'items' }));
    expect(first).toMatchObject({ status: 'auth_required', provider: 'corp' });
    await rig.connect('corp');
    const r = sc(await request({ method: 'GET', path: '/items', query: { limit: 1 } }));
    expect(r).toMatchObject({
      status: 'ok',
      httpStatus: 200,
      data: { items: [{ id: 1, name: 'alpha' }] },
      truncated: false,
    });
    expect(r.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      link: '</api/items?page=2>; rel="next"',
      'x-ratelimit-remaining': '99',
    });
  });

  it.each([
    ['an absolute URL', `http://127.0.0.1:1/elsewhere/secret`],
    ['a scheme-relative URL', '//evil.example/x'],
    ['a .. segment', '../elsewhere/secret'],
    ['an encoded .. segment', '%2e%2e/elsewhere/secret'],
    ['a backslash', '..\\elsewhere\\secret'],
    ['a query in the path', 'items?limit=1'],
  ])('refuses %s before anything is sent', async (_what, path) => {
    const before = api.requests().length;
    const r = sc(await request({ method: 'GET', path }));
    expect(r).toMatchObject({ status: 'error', kind: 'invalid_request' });
    expect(api.requests().length).toBe(before);
    expect(reachedOutside()).toBe(false);
  });

  it('sends the token in the Authorization header only', async () => {
    await request({ method: 'GET', path: 'items' });
    const tokens = api.oauth.book.all().map((t) => t.value);
    for (const rec of api.requests().filter((x) => x.key.startsWith('GET /api'))) {
      expect(tokens).toContain(rec.token);
      for (const t of tokens) expect(JSON.stringify(rec.params) + rec.path).not.toContain(t);
    }
    expect(JSON.stringify(rig.tv.results)).not.toMatch(/gen-(at|rt)-/);
  });

  it('trims a large JSON answer under its budget and says so', async () => {
    const r = sc(await request({ method: 'GET', path: 'big' }));
    expect(r).toMatchObject({ status: 'ok', truncated: true });
    expect(JSON.stringify(r.data).length).toBeLessThanOrEqual(24_000);
    expect(r.data.rows.length).toBeGreaterThan(0);
  });

  it('summarises HTML as text and does not return binary content', async () => {
    const page = sc(await request({ method: 'GET', path: 'page' }));
    expect(page).toMatchObject({ status: 'ok', data: 'Status All systems go', truncated: false });
    expect(page.summary).toContain('text/html');
    const blob = sc(await request({ method: 'GET', path: 'blob' }));
    expect(blob.data).toBeUndefined();
    expect(blob).toMatchObject({
      status: 'ok',
      truncated: true,
      summary: expect.stringContaining('application/octet-stream'),
    });
  });

  it('writes once per idempotencyKey and classifies a refusal by status', async () => {
    const args = { method: 'POST', path: 'items', body: { name: 'gamma' }, idempotencyKey: 'g-1' };
    const a = sc(await request(args));
    const b = sc(await request(args));
    expect(a).toMatchObject({ status: 'ok', httpStatus: 201, data: { id: 3, name: 'gamma' } });
    expect(b).toMatchObject({ idempotentReplay: true, data: { id: 3 } });
    expect(api.items()).toHaveLength(3);
    const bad = sc(await request({ method: 'POST', path: 'items', body: {} }));
    expect(bad).toMatchObject({ status: 'error', kind: 'invalid_request', httpStatus: 422 });
    const missing = sc(await request({ method: 'DELETE', path: 'items/9' }));
    expect(missing).toMatchObject({ status: 'error', kind: 'not_found', httpStatus: 404 });
  });

  it('refuses a method the operator denied without reaching the provider', async () => {
    const before = api.requests().length;
    const r = sc(await rig.call('locked.request', { method: 'POST', path: 'items', body: { name: 'x' } }));
    expect(r).toMatchObject({ status: 'error', kind: 'forbidden' });
    expect(api.requests().length).toBe(before);
  });

  it('refreshes once on a 401 and retries, as every provider tool does', async () => {
    api.failNext('GET /api/items', {
      reply: { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
    });
    const r = sc(await request({ method: 'GET', path: 'items' }));
    expect(r.status).toBe('ok');
    expect(api.oauth.tokenRequests()['refresh_token']).toBe(1);
  });
});
