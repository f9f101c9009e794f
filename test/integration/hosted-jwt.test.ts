import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedHarness, INIT, startHosted } from '../support/hosted.js';
import { sc } from '../support/toolvault.js';

/**
 * Bearer JWTs from a configured issuer: a tiny identity provider publishes a discovery document and its JWKS;
 * toolvault finds the keys by discovery and checks signature, issuer, audience and expiry.
 */

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('bearer JWTs from the configured issuer', () => {
  let idp: Server;
  let issuer: string;
  let signing: Key;
  let stranger: Key;
  let h: HostedHarness;
  let discoveryHits = 0;

  const jwt = (claims: JWTPayload & { aud?: string; iss?: string }, key: Key = signing, expSec = 300) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'mcp', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key === signing ? 'k1' : 'k-unknown' })
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? h.mcpUrl)
      .setIssuedAt(now - 10)
      .setExpirationTime(now + expSec)
      .sign(key);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signing = pair.privateKey;
    stranger = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    idp = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        discoveryHits++;
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    h = await startHosted({
      env: { TOOLVAULT_JWT_ISSUER: issuer },
      providers: {
        acme: {
          type: 'oauth2',
          clientId: 'c',
          clientSecret: 's',
          authorizeUrl: 'https://acme.example/authorize',
          tokenUrl: 'https://acme.example/token',
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    idp?.closeAllConnections();
    await new Promise((r) => idp?.close(r));
  });

  it('accepts a valid token and acts as its subject', async () => {
    const c = await h.client(await jwt({ sub: 'dana' }));
    const started = sc(await c.call('auth_start', { provider: 'acme' }));
    expect(started.status).toBe('pending');
    expect(await h.app.vault.store.getConsent(started.authId)).toMatchObject({ userId: 'dana' });
    expect(discoveryHits).toBe(1);
  });

  it.each([
    ['expired', () => jwt({ sub: 'dana' }, signing, -60), 'token expired'],
    [
      'for another audience',
      () => jwt({ sub: 'dana', aud: 'https://other.example/mcp' }),
      'claim aud check failed',
    ],
    [
      'from another issuer',
      () => jwt({ sub: 'dana', iss: 'https://evil.example' }),
      'claim iss check failed',
    ],
    [
      'signed with a key the issuer does not publish',
      () => jwt({ sub: 'dana' }, stranger),
      'does not publish',
    ],
    ['without a subject', () => jwt({}), 'claim sub missing'],
  ])('refuses a token %s with 401 invalid_token', async (_what, make, reason) => {
    const res = await h.post(INIT, { authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(reason);
    expect(challenge).toContain(`resource_metadata="${h.url}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('still accepts API keys, and serves no one without a credential (even on loopback)', async () => {
    const key = await h.key('erin');
    expect((await h.post(INIT, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await h.post(INIT)).status).toBe(401);
  });

  it('names the issuer in the protected-resource metadata', async () => {
    const meta = await (await fetch(`${h.url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(meta).toEqual({
      resource: h.mcpUrl,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
      resource_name: 'toolvault',
    });
  });
});
