import { describe, expect, it } from 'vitest';
import { OAuthClients } from '../../src/auth/oauth-client.js';
import { classifyTokenError } from '../../src/auth/refresh/classify.js';
import { genericDeclaration } from '../../src/providers/generic.js';
import { github } from '../../src/providers/github.js';
import { revokeToken } from '../../src/providers/revocation.js';
import { slack } from '../../src/providers/slack.js';

const TOKEN = 'xoxe.xoxp-SECRET-TOKEN';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records every request and answers from a list of responses, in order. */
function recorder(...responses: Response[]) {
  const seen: Seen[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({
      url: String(input),
      method: init?.method ?? 'GET',
      // A record from revokeToken, a Headers and URLSearchParams from openid-client.
      headers: Object.fromEntries(new Headers(init?.headers)),
      body:
        typeof init?.body === 'string'
          ? init.body
          : init?.body instanceof URLSearchParams
            ? init.body.toString()
            : undefined,
    });
    const next = responses.shift();
    if (!next) throw new Error('unexpected request');
    return next;
  };
  return { seen, fetch: fetchFn as typeof fetch };
}

describe('revokeToken', () => {
  const settings = { clientId: 'cid', clientSecret: 'csecret' };

  it('calls Slack auth.revoke with the token as Bearer', async () => {
    const r = recorder(Response.json({ ok: true, revoked: true }));
    expect(
      await revokeToken(
        { declaration: slack, settings },
        { token: TOKEN, hint: 'access_token' },
        { fetch: r.fetch },
      ),
    ).toEqual({
      result: 'revoked',
    });
    expect(r.seen[0]).toMatchObject({
      url: 'https://slack.com/api/auth.revoke',
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const dead = recorder(Response.json({ ok: false, error: 'invalid_auth' }));
    expect(
      await revokeToken(
        { declaration: slack, settings },
        { token: TOKEN, hint: 'access_token' },
        { fetch: dead.fetch },
      ),
    ).toEqual({
      result: 'already_invalid',
      code: 'invalid_auth',
    });
  });

  it('deletes the GitHub grant with Basic client auth and the token in the body, not the URL', async () => {
    const r = recorder(new Response(null, { status: 204 }));
    expect(
      await revokeToken(
        { declaration: github, settings },
        { token: TOKEN, hint: 'access_token' },
        { fetch: r.fetch },
      ),
    ).toEqual({
      result: 'revoked',
    });
    const sent = r.seen[0]!;
    expect(sent).toMatchObject({ url: 'https://api.github.com/applications/cid/grant', method: 'DELETE' });
    expect(sent.headers['authorization']).toBe(`Basic ${Buffer.from('cid:csecret').toString('base64')}`);
    expect(JSON.parse(sent.body!)).toEqual({ access_token: TOKEN });
    expect(
      await revokeToken({ declaration: github, settings }, { token: 'r', hint: 'refresh_token' }),
    ).toEqual({ result: 'unsupported' });
  });

  it('revokes an RFC 7009 provider through its OAuth client: a form with Basic auth, and a 503 is transient', async () => {
    const d = genericDeclaration('acme', {
      type: 'oauth2',
      authorizeUrl: 'https://a.test/a',
      tokenUrl: 'https://a.test/t',
      revokeUrl: 'https://a.test/revoke',
    });
    expect(d.revocation).toBe('rfc7009');
    const configured = { declaration: d, settings };
    // Not the provider's own way: the OAuth client does it (auth/connections.ts sends it there).
    expect(await revokeToken(configured, { token: 'rt', hint: 'refresh_token' })).toEqual({
      result: 'unsupported',
    });
    const r = recorder(new Response(null, { status: 503 }));
    const client = new OAuthClients(new Map([['acme', configured]]), { fetch: r.fetch }).get('acme');
    const err = await client.revoke('rt', 'refresh_token').then(
      () => null,
      (e: unknown) => e,
    );
    expect(classifyTokenError(err, d)).toMatchObject({ kind: 'transient' });
    expect(r.seen[0]!.url).toBe('https://a.test/revoke');
    expect(Object.fromEntries(new URLSearchParams(r.seen[0]!.body))).toEqual({
      token: 'rt',
      token_type_hint: 'refresh_token',
    });
    expect(r.seen[0]!.headers['authorization']).toMatch(/^Basic /);
  });
});
