import { type CatalogFake, startCatalogFake } from './catalog-fake.js';
import type { Reply } from './http.js';
import { createOAuthFake } from './oauth-fake.js';

/**
 * HubSpot's CRM API behind the v3 OAuth endpoints: 30-minute access tokens, a refresh token that does not
 * rotate, token bodies in camelCase (`accessToken`, `expiresIn`, `hubId`) and errors in HubSpot's own shape
 * (`{status: "BAD_REFRESH_TOKEN", message, correlationId, category}`), never RFC 6749's `error`. API errors
 * name a `category`; a write without its scope answers 403 MISSING_SCOPES with the granular scopes needed.
 */

export interface HubspotFake extends CatalogFake {
  hubId: number;
  addContact(p: { email: string; firstname?: string; lastname?: string; company?: string }): string;
  notes(): { id: string; body: string; contactIds: string[] }[];
}

const hsError = (
  status: number,
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
): Reply => ({
  status,
  body: {
    status: 'error',
    message,
    correlationId: 'aeb5f871-7f07-4993-9211-075dc63e7cbf',
    category,
    ...extra,
  },
});

const TOKEN_STATUS: Record<string, string> = {
  invalid_grant: 'BAD_REFRESH_TOKEN',
  invalid_client: 'BAD_CLIENT_SECRET',
  unsupported_grant_type: 'BAD_GRANT_TYPE',
  invalid_request: 'VALIDATION_ERROR',
};

export async function startHubspotFake(o: { now?: () => number } = {}): Promise<HubspotFake> {
  const now = o.now ?? Date.now;
  const hubId = 62_515;
  const contacts = new Map<string, Record<string, string>>();
  const notes: { id: string; body: string; contactIds: string[] }[] = [];
  const oauth = createOAuthFake({
    now,
    prefix: 'hs-',
    clientAuth: 'post',
    tokenPath: '/oauth/v3/token',
    accessTtl: 1800,
    refresh: true,
    rotate: false,
    extra: () => ({ hub_id: hubId, user_id: 7001 }),
    shape: (b) => {
      const camel: Record<string, string> = {
        access_token: 'accessToken',
        refresh_token: 'refreshToken',
        expires_in: 'expiresIn',
        token_type: 'tokenType',
        hub_id: 'hubId',
        user_id: 'userId',
      };
      const out = Object.fromEntries(
        Object.entries(b)
          .filter(([k]) => k !== 'scope')
          .map(([k, v]) => [camel[k] ?? k, v]),
      );
      return {
        ...out,
        scopes: String(b['scope'] ?? '')
          .split(' ')
          .filter(Boolean),
      };
    },
    tokenError: (code) => ({
      status: 400,
      body: {
        status: TOKEN_STATUS[code] ?? 'VALIDATION_ERROR',
        message: `fake: ${code}`,
        correlationId: 'c0ffee',
        category: 'VALIDATION_ERROR',
      },
    }),
  });

  const fake = await startCatalogFake({
    oauth,
    unauthorized: (problem) =>
      problem === 'expired'
        ? hsError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired')
        : hsError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found'),
    rateLimited: () =>
      hsError(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', {
        policyName: 'TEN_SECONDLY_ROLLING',
      }),
    routes: [
      {
        method: 'GET',
        pattern: /^\/account-info\/v3\/details$/,
        key: 'GET /account-info',
        run: () => ({ status: 200, body: { portalId: hubId, timeZone: 'UTC' } }),
      },
      {
        method: 'POST',
        pattern: /^\/crm\/v3\/objects\/contacts\/search$/,
        key: 'POST /contacts/search',
        run: (req) => {
          const q = String((req.json as { query?: string }).query ?? '').toLowerCase();
          const hits = [...contacts.entries()].filter(([, p]) =>
            Object.values(p).some((v) => v.toLowerCase().includes(q)),
          );
          return {
            status: 200,
            body: {
              total: hits.length,
              results: hits.map(([id, properties]) => ({ id, properties, archived: false })),
            },
          };
        },
      },
      {
        method: 'POST',
        pattern: /^\/crm\/v3\/objects\/notes$/,
        key: 'POST /notes',
        run: (req, _p, who) => {
          if (!who.scopes.has('crm.objects.contacts.write'))
            return hsError(403, 'MISSING_SCOPES', 'This app hasn’t been granted all required scopes', {
              errors: [
                {
                  message: 'missing scopes',
                  context: { requiredGranularScopes: ['crm.objects.contacts.write'] },
                },
              ],
            });
          const b = req.json as {
            properties?: Record<string, string>;
            associations?: { to?: { id?: string } }[];
          };
          if (!b.properties?.['hs_timestamp'])
            return hsError(400, 'VALIDATION_ERROR', 'hs_timestamp is required');
          const ids = (b.associations ?? []).map((a) => String(a.to?.id));
          if (ids.some((id) => !contacts.has(id)))
            return hsError(404, 'OBJECT_NOT_FOUND', 'Contact not found');
          const note = {
            id: String(90_000 + notes.length),
            body: b.properties['hs_note_body'] ?? '',
            contactIds: ids,
          };
          notes.push(note);
          return {
            status: 201,
            body: { id: note.id, properties: b.properties, createdAt: new Date(now()).toISOString() },
          };
        },
      },
    ],
  });
  return {
    ...fake,
    hubId,
    addContact(p) {
      const id = String(501 + contacts.size);
      contacts.set(
        id,
        Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Record<string, string>,
      );
      return id;
    },
    notes: () => notes,
  };
}
