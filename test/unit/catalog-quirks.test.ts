import { describe, expect, it } from 'vitest';
import { acceptsValue, fillApiBase } from '../../src/providers/api-base.js';
import { adaptHubspotTokenResponse, inspectHubspot, readHubspotGrant } from '../../src/providers/hubspot.js';
import { inspectJira, jira, readAccessibleResources } from '../../src/providers/jira.js';
import { inspectLinear, linearRequestError } from '../../src/providers/linear.js';
import { buildProviders } from '../../src/providers/registry.js';
import { inspectSalesforce, readSalesforceGrant, salesforce } from '../../src/providers/salesforce.js';
import { planChecks } from '../../src/auth/refresh/plan.js';
import { grantWrite } from '../../src/auth/refresh/grant.js';
import type { ApiResponse, ConfiguredProvider } from '../../src/providers/types.js';

/** The catalog providers' quirks, each read by its declaration (no HTTP here). */

const res = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  body,
  headers: new Headers(headers),
});
const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const secret = { keyId: 'k', blob: new Uint8Array() };

describe('per-connection API bases', () => {
  it('fills a cloud id, a subdomain and an instance origin, and refuses values that would move the base', () => {
    expect(fillApiBase('https://api.atlassian.com/ex/jira/{cloudId}', { cloudId: '1324a887-45db' })).toBe(
      'https://api.atlassian.com/ex/jira/1324a887-45db',
    );
    expect(fillApiBase('https://{subdomain}.zendesk.com/api/v2', { subdomain: 'acme' })).toBe(
      'https://acme.zendesk.com/api/v2',
    );
    expect(
      fillApiBase('{instanceUrl}/services/data/v62.0', { instanceUrl: 'https://acme.my.salesforce.com/' }),
    ).toBe('https://acme.my.salesforce.com/services/data/v62.0');
    for (const [template, name, value] of [
      ['https://{subdomain}.zendesk.com/api/v2', 'subdomain', 'evil.com/x?'],
      ['https://{subdomain}.zendesk.com/api/v2', 'subdomain', 'a.b'],
      ['https://api.atlassian.com/ex/jira/{cloudId}', 'cloudId', '../../other'],
      ['{instanceUrl}/services/data', 'instanceUrl', 'https://evil.example/path'],
      ['{instanceUrl}/services/data', 'instanceUrl', 'http://acme.my.salesforce.com'],
      ['{instanceUrl}/services/data', 'instanceUrl', 'https://user:pw@acme.my.salesforce.com'],
    ] as const) {
      expect(acceptsValue(template, name, value), `${name}=${value}`).toBe(false);
    }
    expect(() => fillApiBase('https://api.atlassian.com/ex/jira/{cloudId}', {})).toThrow(
      /cloudId is missing/,
    );
  });

  it('fills Zendesk’s OAuth endpoints from the configured subdomain, and requires it', () => {
    const cfg = { clientId: 'c', clientSecret: 's' };
    expect(() => buildProviders({ providers: { zendesk: cfg } })).toThrow(/providers\.zendesk\.subdomain/);
    const p = buildProviders({ providers: { zendesk: { ...cfg, subdomain: 'acme' } } }).get('zendesk')!;
    expect(p.declaration.endpoints.tokenUrl).toBe('https://acme.zendesk.com/oauth/tokens');
    expect(p.declaration.endpoints.apiBaseUrl).toBe('https://{subdomain}.zendesk.com/api/v2');
    expect(p.settings.values).toEqual({ subdomain: 'acme' });
    expect(p.declaration.tokenParams).toMatchObject({ expires_in: '1800' });
  });

  it('moves Atlassian’s accessible-resources with an apiBaseUrl override', () => {
    const p = buildProviders({
      providers: {
        jira: { clientId: 'c', clientSecret: 's', apiBaseUrl: 'http://127.0.0.1:9/ex/jira/{cloudId}' },
      },
    }).get('jira')!;
    expect(p.declaration.connectionValues?.discover?.url).toBe(
      'http://127.0.0.1:9/oauth/token/accessible-resources',
    );
  });
});

describe('Jira', () => {
  it('reads the cloud id of the first Jira site', () => {
    const body = [
      { id: 'conf-1', url: 'https://a.atlassian.net', scopes: ['read:confluence-content.all'] },
      { id: 'jira-1', url: 'https://b.atlassian.net', scopes: ['read:jira-work'] },
    ];
    expect(readAccessibleResources(res(200, body))).toEqual({
      cloudId: 'jira-1',
      siteUrl: 'https://b.atlassian.net',
    });
    expect(readAccessibleResources(res(200, []))).toBeUndefined();
  });

  it('reads 401 "scope does not match" as a scope gap and a plain 401 as an expired token', () => {
    expect(
      inspectJira(res(401, { code: 401, message: 'Unauthorized; scope does not match' }), NOW)?.kind,
    ).toBe('missing_scope');
    expect(inspectJira(res(401, { code: 401, message: 'Unauthorized' }), NOW)?.kind).toBe('expired_access');
  });

  it('dates the 365-day end from consent: a rotation keeps it, and no renewal is planned for it', () => {
    const p: ConfiguredProvider = { declaration: jira, settings: { clientId: 'c' } };
    const tokens = { accessToken: 'a', refreshToken: 'r1', tokenType: 'bearer' };
    const consent = grantWrite(p, { tokens, expiresIn: 3600 }, [], NOW, secret, undefined, () => 0);
    expect(consent.refreshExpiresAt).toBe(NOW + 365 * DAY);
    const later = NOW + 100 * DAY;
    const rotated = grantWrite(
      p,
      { tokens: { ...tokens, refreshToken: 'r2' }, expiresIn: 3600 },
      [],
      later,
      secret,
      [],
      () => 0,
      'r1',
    );
    expect(rotated.refreshExpiresAt).toBeNull(); // "no news": the stored end stays
    // Late in the grant: renewing at half the remaining 60 days would move nothing; the idle keep-alive rules.
    const idle = planChecks(
      jira,
      { now: NOW, accessExpiresAt: null, refreshExpiresAt: NOW + 60 * DAY, canRefresh: true },
      () => 0,
    );
    expect(idle.refreshDueAt).toBe(NOW + 45 * DAY); // half the 90-day idle limit, not half of 60 days
  });
});

describe('Linear', () => {
  it('classifies GraphQL errors in the body as data', () => {
    const rate = res(
      400,
      { errors: [{ message: 'Rate limit', extensions: { code: 'RATELIMITED' } }] },
      {
        'x-ratelimit-requests-reset': String(NOW + 30_000),
      },
    );
    expect(inspectLinear(rate, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
    const auth = res(200, { errors: [{ message: 'x', extensions: { type: 'authentication error' } }] });
    expect(inspectLinear(auth, NOW)?.kind).toBe('expired_access');
    const input = res(200, {
      data: null,
      errors: [
        { message: 'x', extensions: { code: 'INVALID_INPUT', userPresentableMessage: 'Title is required' } },
      ],
    });
    expect(inspectLinear(input, NOW)).toBeNull();
    expect(linearRequestError(input)).toEqual({
      status: 200,
      code: 'invalid_input',
      details: ['Title is required'],
    });
    expect(linearRequestError(res(200, { data: { viewer: { id: 'u' } } }))).toBeNull();
  });
});

describe('HubSpot', () => {
  it('rewrites v3 error bodies into RFC 6749 errors and camelCase token bodies into snake_case', async () => {
    const err = await adaptHubspotTokenResponse(
      new Response(
        JSON.stringify({
          status: 'BAD_REFRESH_TOKEN',
          message: 'missing or invalid refresh token',
          category: 'VALIDATION_ERROR',
        }),
        {
          status: 400,
          headers: { 'content-type': 'application/json' },
        },
      ),
    );
    expect(await err.json()).toEqual({ error: 'bad_refresh_token' });
    const v3 = await adaptHubspotTokenResponse(
      new Response(
        JSON.stringify({ category: 'VALIDATION_ERROR', subCategory: 'INVALID_TOKEN', correlationId: 'x' }),
        {
          status: 400,
          headers: { 'content-type': 'application/json' },
        },
      ),
    );
    expect(await v3.json()).toEqual({ error: 'invalid_token' });
    const ok = await adaptHubspotTokenResponse(
      new Response(
        JSON.stringify({
          accessToken: 'a',
          refreshToken: 'r',
          expiresIn: 1800,
          tokenType: 'bearer',
          hubId: 62515,
          scopes: ['oauth'],
        }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      ),
    );
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ access_token: 'a', refresh_token: 'r', expires_in: 1800, hub_id: 62515 });
    expect(readHubspotGrant(body).account).toEqual({ id: '62515', team: '62515' });
  });

  it('reads categories: MISSING_SCOPES names the granular scope, RATE_LIMITS waits ten seconds', () => {
    const missing = res(403, {
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['crm.objects.notes.write'] } }],
    });
    expect(inspectHubspot(missing, NOW)).toMatchObject({
      kind: 'missing_scope',
      missingScopes: ['crm.objects.notes.write'],
    });
    expect(inspectHubspot(res(429, { category: 'RATE_LIMITS' }), NOW)).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 10,
    });
    expect(inspectHubspot(res(401, { category: 'EXPIRED_AUTHENTICATION' }), NOW)?.kind).toBe(
      'expired_access',
    );
  });
});

describe('Salesforce', () => {
  it('keeps instance_url as a connection value and the org and user as the account', () => {
    const g = readSalesforceGrant({
      access_token: 'a',
      token_type: 'Bearer',
      instance_url: 'https://acme.my.salesforce.com',
      id: 'https://login.salesforce.com/id/00D5g000004JcSTEA0/0055g00000A1b2CAAR',
    });
    expect(g.tokens.values).toEqual({ instanceUrl: 'https://acme.my.salesforce.com' });
    expect(g.account).toEqual({ id: '0055g00000A1b2CAAR', team: '00D5g000004JcSTEA0' });
    expect(g.expiresIn).toBeUndefined();
  });

  it('plans a probe, not a refresh, for a token with no expires_in; a limit is a rate limit', () => {
    const plan = planChecks(
      salesforce,
      { now: NOW, accessExpiresAt: null, refreshExpiresAt: null, canRefresh: true },
      () => 0,
    );
    expect(plan.refreshDueAt).toBeNull();
    expect(plan.nextCheckAt).not.toBeNull();
    const limit = res(403, [
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(inspectSalesforce(limit, NOW)?.kind).toBe('rate_limited');
  });
});
