import { describe, expect, it } from 'vitest';
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
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : undefined,
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

  it('posts an RFC 7009 form and reports a 503 as transient', async () => {
    const d = genericDeclaration('acme', {
      type: 'oauth2',
      authorizeUrl: 'https://a.test/a',
      tokenUrl: 'https://a.test/t',
      revokeUrl: 'https://a.test/revoke',
    });
    const r = recorder(new Response(null, { status: 503 }));
    const out = await revokeToken(
      { declaration: d, settings },
      { token: 'rt', hint: 'refresh_token' },
      { fetch: r.fetch },
    );
    expect(out).toEqual({ result: 'failed', signal: { kind: 'transient', code: 'http_503' } });
    expect(r.seen[0]!.body).toBe('token=rt&token_type_hint=refresh_token');
    expect(r.seen[0]!.headers['authorization']).toMatch(/^Basic /);
  });
});
