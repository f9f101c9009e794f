import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * Salesforce as two hosts: the login host (OAuth, userinfo, revoke) and the org's instance (the REST API),
 * which the token response names in `instance_url` — so a test sees toolvault call the instance it was told.
 * No `expires_in`: the session ends when the org says (`expireSessions()`), then the API answers 401
 * INVALID_SESSION_ID. A refresh token only with the `refresh_token` scope; it does not rotate. API errors are
 * arrays of `{message, errorCode, fields}`.
 */

export interface SalesforceFake {
  login: CatalogFake;
  instance: CatalogFake;
  records(sobject: string): Record<string, unknown>[];
  addRecord(sobject: string, fields: Record<string, unknown>): string;
  expireSessions(): void;
  revoked(): string[];
  close(): Promise<void>;
}

const ORG = '00D5g000004JcSTEA0';
const USER = '0055g00000A1b2CAAR';
const sfError = (status: number, errorCode: string, message: string, fields: string[] = []): Reply => ({
  status,
  body: [{ message, errorCode, fields }],
});

export async function startSalesforceFake(o: { now?: () => number } = {}): Promise<SalesforceFake> {
  const now = o.now ?? Date.now;
  const objects = new Map<string, Map<string, Record<string, unknown>>>();
  const revoked: string[] = [];
  let instanceUrl = '';
  let n = 0;
  const oauth = createOAuthFake({
    now,
    prefix: '00D!',
    clientAuth: 'post',
    authorizePath: '/services/oauth2/authorize',
    tokenPath: '/services/oauth2/token',
    accessTtl: null,
    refresh: true,
    rotate: false,
    extra: () => ({
      instance_url: instanceUrl,
      id: `https://login.salesforce.com/id/${ORG}/${USER}`,
      issued_at: String(now()),
      signature: 'c2ln',
    }),
  });
  const addRecord = (sobject: string, fields: Record<string, unknown>) => {
    const id = `001${String(++n).padStart(12, '0')}AAA`;
    const table = objects.get(sobject) ?? new Map();
    table.set(id, { Id: id, ...fields });
    objects.set(sobject, table);
    return id;
  };
  const unauthorized = () => sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
  const rateLimited = () => sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  const login = await startCatalogFake({
    oauth,
    unauthorized,
    rateLimited,
    routes: [
      {
        method: 'GET',
        pattern: /^\/services\/oauth2\/userinfo$/,
        key: 'GET /userinfo',
        run: () => ({
          status: 200,
          body: {
            sub: `https://login.salesforce.com/id/${ORG}/${USER}`,
            user_id: USER,
            organization_id: ORG,
            preferred_username: 'ann@acme.example',
          },
        }),
      },
      {
        method: 'POST',
        pattern: /^\/services\/oauth2\/revoke$/,
        key: 'POST /revoke',
        open: true,
        run: (req) => {
          const token = oauth.book.find(req.params['token'] ?? '');
          if (!token) return { status: 400, body: { error: 'unsupported_token_type' } };
          // Revoking a refresh token ends its access tokens too.
          token.grant.revoked = true;
          revoked.push(token.kind);
          return { status: 200 };
        },
      },
    ],
  });
  const instance = await startCatalogFake({
    oauth,
    unauthorized,
    rateLimited,
    routes: [
      {
        method: 'GET',
        pattern: /^\/services\/data\/v62\.0\/query$/,
        key: 'GET /query',
        run: (req) => {
          const q = req.query.get('q') ?? '';
          const m = /^select\s+(.+?)\s+from\s+(\w+)/i.exec(q);
          if (!m) return sfError(400, 'MALFORMED_QUERY', 'unexpected token');
          const table = objects.get(m[2]!);
          if (!table) return sfError(400, 'INVALID_TYPE', `sObject type '${m[2]}' is not supported.`);
          const fields = m[1]!.split(',').map((f) => f.trim());
          const records = [...table.values()].map((r) => ({
            attributes: { type: m[2], url: `/services/data/v62.0/sobjects/${m[2]}/${String(r['Id'])}` },
            ...Object.fromEntries(fields.map((f) => [f, r[f] ?? null])),
          }));
          return { status: 200, body: { totalSize: records.length, done: true, records } };
        },
      },
      {
        method: 'POST',
        pattern: /^\/services\/data\/v62\.0\/sobjects\/(?<obj>\w+)$/,
        key: 'POST /sobjects/{obj}',
        run: (req, p) => {
          const fields = (req.json ?? {}) as Record<string, unknown>;
          if (p['obj'] === 'Account' && !fields['Name'])
            return sfError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [Name]', ['Name']);
          return { status: 201, body: { id: addRecord(p['obj']!, fields), success: true, errors: [] } };
        },
      },
      {
        method: 'PATCH',
        pattern: /^\/services\/data\/v62\.0\/sobjects\/(?<obj>\w+)\/(?<id>\w+)$/,
        key: 'PATCH /sobjects/{obj}/{id}',
        run: (req, p) => {
          const record = objects.get(p['obj']!)?.get(p['id']!);
          if (!record) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
          Object.assign(record, req.json);
          return { status: 204 };
        },
      },
    ],
  });
  instanceUrl = instance.url;
  const loginRoute = login;
  return {
    login: loginRoute,
    instance,
    records: (s) => [...(objects.get(s)?.values() ?? [])],
    addRecord,
    expireSessions: () => oauth.expireAccess(),
    revoked: () => revoked,
    close: async () => {
      await Promise.allSettled([login.close(), instance.close()]);
    },
  };
}
