import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZendeskFake, type ZendeskFake } from '../fakes/zendesk.js';
import { zendeskConfig } from '../support/catalog-config.js';
import { type CatalogRig, startCatalogRig } from '../support/catalog-rig.js';
import { sc } from '../support/toolvault.js';

/** The Zendesk tools against the Zendesk fake: subdomain API base, mandatory refresh tokens, errors. */
describe('Zendesk tools', () => {
  let rig: CatalogRig;
  let zd: ZendeskFake;
  let ann: number;

  beforeAll(async () => {
    rig = await startCatalogRig(async (clock) => {
      zd = await startZendeskFake({ now: () => clock.now(), subdomain: 'acme' });
      return { config: { zendesk: zendeskConfig(zd) }, close: () => zd.close() };
    });
    ann = zd.addUser('ann@example.com', 'Ann');
    zd.addTicket({
      subject: 'Login fails after password reset',
      description: 'Since Tuesday I cannot log in.',
      requesterId: ann,
      priority: 'high',
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('asks for consent first, and asks Zendesk for expiring tokens so a refresh token comes back', async () => {
    const first = await rig.call('zendesk.searchTickets', { query: 'login' });
    expect(sc(first)).toMatchObject({
      status: 'auth_required',
      provider: 'zendesk',
      reason: 'not_connected',
    });
    await rig.connect('zendesk');
    const exchange = zd.requests().find((r) => r.key === 'token');
    expect(exchange?.params['expires_in']).toBe('1800');
    const issued = zd.oauth.book.all();
    expect(issued.some((t) => t.kind === 'refresh')).toBe(true);
  });

  it('searches on the connection’s own subdomain and sideloads requesters', async () => {
    const r = sc(await rig.call('zendesk.searchTickets', { query: 'login' }));
    expect(r.status).toBe('ok');
    expect(r.tickets).toEqual([
      expect.objectContaining({
        subject: 'Login fails after password reset',
        requesterEmail: 'ann@example.com',
        priority: 'high',
      }),
    ]);
    const search = zd
      .requests()
      .filter((x) => x.key === 'GET /search')
      .at(-1)!;
    expect(search.path).toBe('/z/acme/api/v2/search.json');
  });

  it('creates a ticket once per idempotencyKey, passing the key on to Zendesk', async () => {
    const args = { subject: 'Refund request', body: 'Order 991 arrived broken', idempotencyKey: 'mail-42' };
    const a = sc(await rig.call('zendesk.createTicket', args));
    const b = sc(await rig.call('zendesk.createTicket', args));
    expect(a).toMatchObject({ status: 'ok', id: expect.any(Number) });
    expect(b).toMatchObject({ status: 'ok', id: a.id, idempotentReplay: true });
    expect(zd.tickets().filter((t) => t.subject === 'Refund request')).toHaveLength(1);
    expect(zd.requests().filter((x) => x.key === 'POST /tickets')).toHaveLength(1);
  });

  it('adds an internal note by default, and reports an unknown ticket as not_found', async () => {
    const [t] = zd.tickets();
    const ok = sc(
      await rig.call('zendesk.addComment', { ticketId: t!.id, body: 'Escalated to engineering' }),
    );
    expect(ok).toMatchObject({ status: 'ok', public: false });
    expect(t!.comments.at(-1)).toEqual({ body: 'Escalated to engineering', public: false });
    const missing = sc(await rig.call('zendesk.addComment', { ticketId: 1, body: 'x' }));
    expect(missing).toMatchObject({ status: 'error', kind: 'not_found' });
  });

  it('explains a rejected ticket with the fields Zendesk named', async () => {
    zd.failNext('POST /tickets', {
      reply: {
        status: 422,
        body: {
          error: 'RecordInvalid',
          details: { requester: [{ description: 'Requester: is suspended' }] },
        },
      },
    });
    const r = sc(await rig.call('zendesk.createTicket', { subject: 'x', body: 'y' }));
    expect(r).toMatchObject({
      status: 'error',
      kind: 'invalid_request',
      details: ['requester: Requester: is suspended'],
    });
  });

  it('passes a rate limit on with its Retry-After', async () => {
    zd.failNext('GET /search', { kind: 'ratelimited', retryAfter: 42 });
    const r = sc(await rig.call('zendesk.searchTickets', { query: 'login' }));
    expect(r).toMatchObject({ status: 'error', kind: 'rate_limited', retryAfterSeconds: 42 });
  });

  it('refreshes an expired token (the old pair dies) and carries the subdomain over', async () => {
    rig.clock.advance(31 * 60_000);
    const before = zd.oauth.tokenRequests()['refresh_token'] ?? 0;
    const r = sc(await rig.call('zendesk.searchTickets', { query: 'refund' }));
    expect(r.status).toBe('ok');
    expect(zd.oauth.tokenRequests()['refresh_token']).toBe(before + 1);
    expect(
      zd
        .requests()
        .filter((x) => x.key === 'GET /search')
        .at(-1)!.path,
    ).toBe('/z/acme/api/v2/search.json');
  });
});
