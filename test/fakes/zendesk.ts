import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { FakeRequest, Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * Zendesk on one account subdomain, served under `/z/<subdomain>/api/v2` (loopback has no subdomains; a
 * request for another subdomain gets 404, so a test sees which account a connection calls). OAuth as since
 * 2026-04-30 for a client registered before it: expiring tokens and a refresh token only when the token
 * request asks with `expires_in`; a refresh deletes the old pair. Search with `include=tickets(users)`
 * sideloads requesters; ticket creation honours `Idempotency-Key`.
 */

export interface ZendeskTicket {
  id: number;
  subject: string;
  description: string;
  status: string;
  priority: string | null;
  requester_id: number;
  tags: string[];
  created_at: string;
  comments: { body: string; public: boolean }[];
}

export interface ZendeskFake extends CatalogFake {
  subdomain: string;
  addUser(email: string, name: string): number;
  addTicket(t: {
    subject: string;
    description: string;
    requesterId: number;
    priority?: string;
  }): ZendeskTicket;
  tickets(): ZendeskTicket[];
}

export async function startZendeskFake(
  o: { now?: () => number; subdomain?: string } = {},
): Promise<ZendeskFake> {
  const now = o.now ?? Date.now;
  const subdomain = o.subdomain ?? 'acme';
  const users = new Map<number, { id: number; email: string; name: string }>();
  const tickets = new Map<number, ZendeskTicket>();
  const idempotency = new Map<string, number>();
  let nextId = 35_436;
  const oauth = createOAuthFake({
    now,
    prefix: 'zd-',
    clientAuth: 'post',
    tokenPath: '/oauth/tokens',
    authorizePath: '/oauth/authorizations/new',
    accessTtl: 1800,
    refresh: true,
    rotate: true,
    issuePolicy: (p) =>
      p['expires_in']
        ? { accessTtl: Number(p['expires_in']), refresh: true }
        : { accessTtl: null, refresh: false },
  });
  const base = '^/z/(?<sub>[a-z0-9-]+)/api/v2';
  const wrongAccount = (p: Record<string, string>): Reply | null =>
    p['sub'] === subdomain
      ? null
      : { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } };
  const addTicket = (t: { subject: string; description: string; requesterId: number; priority?: string }) => {
    const ticket: ZendeskTicket = {
      id: nextId++,
      subject: t.subject,
      description: t.description,
      status: 'open',
      priority: t.priority ?? null,
      requester_id: t.requesterId,
      tags: [],
      created_at: new Date(now()).toISOString(),
      comments: [{ body: t.description, public: true }],
    };
    tickets.set(ticket.id, ticket);
    return ticket;
  };
  const view = ({ comments: _c, ...t }: ZendeskTicket) => ({
    ...t,
    url: `https://${subdomain}.zendesk.com/api/v2/tickets/${t.id}.json`,
  });
  const canWrite = (scopes: Set<string>) => scopes.has('write') || scopes.has('tickets:write');

  const search = (req: FakeRequest): Reply => {
    const q = (req.query.get('query') ?? '').toLowerCase();
    const words = q.split(/\s+/).filter((w) => w && !w.includes(':'));
    const status = /status:(\w+)/.exec(q)?.[1];
    const found = [...tickets.values()]
      .filter(
        (t) =>
          (!status || t.status === status) &&
          words.every((w) => `${t.subject} ${t.description}`.toLowerCase().includes(w)),
      )
      .reverse();
    const withUsers = (req.query.get('include') ?? '').includes('users');
    return {
      status: 200,
      body: {
        results: found.map((t) => ({ ...view(t), result_type: 'ticket' })),
        count: found.length,
        next_page: null,
        ...(withUsers ? { users: found.map((t) => users.get(t.requester_id)).filter(Boolean) } : {}),
      },
    };
  };

  const fake = await startCatalogFake({
    oauth,
    unauthorized: () => ({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="Zendesk", error="invalid_token"' },
      body: {
        error: 'invalid_token',
        error_description:
          'The access token provided is expired, revoked, malformed or invalid for other reasons.',
      },
    }),
    rateLimited: (s) => ({
      status: 429,
      headers: { 'retry-after': String(s) },
      body: { error: 'TooManyRequests' },
    }),
    routes: [
      {
        method: 'GET',
        pattern: new RegExp(`${base}/users/me(\\.json)?$`),
        key: 'GET /users/me',
        run: (_req, p, who) =>
          wrongAccount(p) ?? {
            status: 200,
            body: {
              user: { id: 1001, name: who.grant.subject, email: `${who.grant.subject}@${subdomain}.example` },
            },
          },
      },
      {
        method: 'GET',
        pattern: new RegExp(`${base}/search(\\.json)?$`),
        key: 'GET /search',
        run: (req, p) => wrongAccount(p) ?? search(req),
      },
      {
        method: 'POST',
        pattern: new RegExp(`${base}/tickets(\\.json)?$`),
        key: 'POST /tickets',
        run: (req, p, who) => {
          const wrong = wrongAccount(p);
          if (wrong) return wrong;
          if (!canWrite(who.scopes))
            return { status: 403, body: { error: 'Forbidden', description: 'insufficient scope: write' } };
          const key = String(req.headers['idempotency-key'] ?? '');
          const seen = key ? idempotency.get(key) : undefined;
          if (seen !== undefined)
            return {
              status: 201,
              headers: { 'x-idempotency-lookup': 'hit' },
              body: { ticket: view(tickets.get(seen)!) },
            };
          const t = (req.json as { ticket?: Record<string, any> } | undefined)?.ticket;
          if (!t?.['subject'])
            return {
              status: 422,
              body: {
                error: 'RecordInvalid',
                description: 'Record validation errors',
                details: { subject: [{ description: 'Subject: cannot be blank' }] },
              },
            };
          const created = addTicket({
            subject: t['subject'],
            description: t['comment']?.body ?? '',
            requesterId: 1001,
            priority: t['priority'],
          });
          created.tags = t['tags'] ?? [];
          if (key) idempotency.set(key, created.id);
          return { status: 201, body: { ticket: view(created) } };
        },
      },
      {
        method: 'PUT',
        pattern: new RegExp(`${base}/tickets/(?<id>\\d+)(\\.json)?$`),
        key: 'PUT /tickets/{id}',
        run: (req, p, who) => {
          const wrong = wrongAccount(p);
          if (wrong) return wrong;
          if (!canWrite(who.scopes))
            return { status: 403, body: { error: 'Forbidden', description: 'insufficient scope: write' } };
          const t = tickets.get(Number(p['id']));
          if (!t) return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
          const c = (req.json as { ticket?: { comment?: { body?: string; public?: boolean } } }).ticket
            ?.comment;
          if (c?.body) t.comments.push({ body: c.body, public: c.public ?? true });
          return { status: 200, body: { ticket: view(t) } };
        },
      },
    ],
  });
  return {
    ...fake,
    subdomain,
    addUser(email, name) {
      const id = 2000 + users.size;
      users.set(id, { id, email, name });
      return id;
    },
    addTicket,
    tickets: () => [...tickets.values()],
  };
}
