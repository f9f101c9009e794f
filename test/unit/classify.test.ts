import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenFailure } from '../../src/auth/refresh/classify.js';
import { adaptGithubTokenResponse, github } from '../../src/providers/github.js';
import { slack } from '../../src/providers/slack.js';
import type { ProviderDeclaration } from '../../src/providers/types.js';
import {
  type Adapter,
  type FailingTokenEndpoint,
  startFailingTokenEndpoint,
} from '../support/failing-token-endpoint.js';

/**
 * Every failure shape openid-client 6 produces at a token endpoint, produced for real: openid-client talks
 * to a local server that answers each case (test/support/failing-token-endpoint.ts), and the classifier
 * judges what openid-client threw.
 */

let endpoint: FailingTokenEndpoint;
beforeAll(async () => {
  endpoint = await startFailingTokenEndpoint();
});
afterAll(() => endpoint.close());

const refreshFailure: FailingTokenEndpoint['refreshFailure'] = (path, opts) =>
  endpoint.refreshFailure(path, opts);

const slackAdapt = slack.adaptTokenResponse!;

describe('classifyTokenError with real openid-client failures', () => {
  const table: Array<{
    name: string;
    path: string;
    declaration?: ProviderDeclaration;
    adapt?: Adapter;
    shape: string;
    expected: Partial<TokenFailure>;
  }> = [
    {
      name: '400 invalid_grant is a definitive grant error',
      path: '/invalid-grant',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'revoked', code: 'invalid_grant', status: 400, definitiveGrantError: true },
    },
    {
      name: '400 invalid_request is the app’s problem',
      path: '/invalid-request',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'invalid_request', definitiveGrantError: false },
    },
    {
      name: 'a wrong grant type never reads as a dead credential (seed 004)',
      path: '/unsupported-grant-type',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'unsupported_grant_type', definitiveGrantError: false },
    },
    {
      name: '401 invalid_client body',
      path: '/invalid-client',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'invalid_client', status: 401, definitiveGrantError: false },
    },
    {
      name: '401 with a WWW-Authenticate challenge',
      path: '/invalid-client-challenge',
      shape: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      expected: { kind: 'config_error', code: 'invalid_client', status: 401, definitiveGrantError: false },
    },
    {
      name: 'invalid_grant counts by code, not status (Atlassian answers 403)',
      path: '/atlassian-403-invalid-grant',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'revoked', status: 403, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 invalid_refresh_token through the Slack adapter',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'revoked', code: 'invalid_refresh_token', status: 400, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 invalid_refresh_token without the adapter, read from the hidden body',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      declaration: slack,
      expected: { kind: 'revoked', code: 'invalid_refresh_token', status: 200, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 error without adapter or declaration is not understood, so not definitive',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      expected: { kind: 'unknown', code: 'invalid_refresh_token', definitiveGrantError: false },
    },
    {
      name: 'Slack invalid_grant_type is config, never a downgrade',
      path: '/slack-invalid-grant-type',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'config_error', code: 'invalid_grant_type', definitiveGrantError: false },
    },
    {
      name: 'Slack ratelimited keeps Retry-After',
      path: '/slack-ratelimited',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'rate_limited', code: 'ratelimited', status: 429, retryAfterSeconds: 30 },
    },
    {
      name: 'Slack success without the adapter (token_type user) is a config problem',
      path: '/slack-success',
      shape: 'OAUTH_UNSUPPORTED_OPERATION',
      declaration: slack,
      expected: { kind: 'config_error', definitiveGrantError: false },
    },
    {
      name: 'GitHub 200 bad_refresh_token through the GitHub adapter',
      path: '/github-bad-refresh',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: github,
      adapt: adaptGithubTokenResponse,
      expected: { kind: 'revoked', code: 'bad_refresh_token', status: 400, definitiveGrantError: true },
    },
    {
      name: 'GitHub 200 bad_refresh_token without the adapter',
      path: '/github-bad-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      declaration: github,
      expected: { kind: 'revoked', code: 'bad_refresh_token', definitiveGrantError: true },
    },
    {
      name: 'GitHub incorrect_client_credentials',
      path: '/github-bad-credentials',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: github,
      adapt: adaptGithubTokenResponse,
      expected: { kind: 'config_error', code: 'incorrect_client_credentials', definitiveGrantError: false },
    },
    {
      name: '500 without an error code',
      path: '/500-json',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 500, definitiveGrantError: false },
    },
    {
      name: '500 even with invalid_grant is the server’s trouble',
      path: '/500-invalid-grant',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 500, definitiveGrantError: false },
    },
    {
      name: 'HTML 503',
      path: '/503-html',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 503, definitiveGrantError: false },
    },
    {
      name: '429 with Retry-After seconds',
      path: '/429-seconds',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'rate_limited', status: 429, retryAfterSeconds: 7 },
    },
    {
      name: 'HTML 200',
      path: '/200-html',
      shape: 'OAUTH_RESPONSE_IS_NOT_JSON',
      expected: { kind: 'unknown', definitiveGrantError: false },
    },
    {
      name: '404 token endpoint',
      path: '/404',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'config_error', status: 404 },
    },
    {
      name: 'timeout',
      path: '/hang',
      shape: 'OAUTH_TIMEOUT',
      expected: { kind: 'transient', code: 'timeout', definitiveGrantError: false },
    },
  ];

  for (const c of table) {
    it(c.name, async () => {
      const opts: { declaration?: ProviderDeclaration; adapt?: Adapter } = {};
      if (c.declaration) opts.declaration = c.declaration;
      if (c.adapt) opts.adapt = c.adapt;
      expect(await refreshFailure(c.path, opts)).toMatchObject(c.expected);
      expect(endpoint.lastShape()).toBe(c.shape);
    });
  }

  it('429 with an HTTP-date Retry-After', async () => {
    const f = await refreshFailure('/429-date');
    expect(f.kind).toBe('rate_limited');
    expect(f.retryAfterSeconds).toBeGreaterThanOrEqual(18);
    expect(f.retryAfterSeconds).toBeLessThanOrEqual(21);
  });

  it('connection refused is transient and provably never reached the provider', async () => {
    const f = await refreshFailure('/token', { base: endpoint.closedPortBase });
    expect(endpoint.lastShape()).toBe('TypeError');
    expect(f).toMatchObject({
      kind: 'transient',
      code: 'econnrefused',
      neverReached: true,
      definitiveGrantError: false,
    });
  });
});
