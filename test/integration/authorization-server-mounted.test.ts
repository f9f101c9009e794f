import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import {
  createAuthorizationServer,
  mountAuthorizationServer,
} from '../../src/providers/demo/authorization-server.js';
import { Browser, completeConsent } from '../support/browser.js';
import { startOidcServer } from '../support/oidc-server.js';

// The demo authorization server as toolvault uses it: behind a connect page, standalone or mounted at /demo.

const SCOPE = 'openid offline_access profile api:read';

function discover(issuer: string) {
  return oidc.discovery(new URL(issuer), 'toolvault', undefined, oidc.ClientSecretPost('toolvault-secret'), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A stand-in for toolvault's connect page and callback, with the same shape: Continue form, 303, callback. */
async function startFakeToolvault() {
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redirectUri = `${url}/oauth/callback`;
  let config: oidc.Configuration | undefined;
  const pending = new Map<string, string>();

  app.get('/connect/:id', (_req, res) => {
    res.type('html').send('<form method="post"><button type="submit">Continue</button></form>');
  });
  app.post('/connect/:id', async (_req, res) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    pending.set(state, verifier);
    const target = oidc.buildAuthorizationUrl(config!, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    res.redirect(303, target.href);
  });
  app.get('/oauth/callback', async (req, res) => {
    const state = String(req.query['state']);
    const tokens = await oidc.authorizationCodeGrant(config!, new URL(req.originalUrl, url), {
      pkceCodeVerifier: pending.get(state)!,
      expectedState: state,
    });
    res.type('html').send(`<p>Connected as ${tokens.claims()?.sub}</p>`);
  });

  return {
    app,
    url,
    redirectUri,
    useIssuer: async (issuer: string) => {
      config = await discover(issuer);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('demo authorization server behind a connect page', () => {
  it('completeConsent walks a connect page on another origin through sign-in to the callback', async () => {
    const tv = await startFakeToolvault();
    // Started without knowing the client's callback, as when toolvault is configured after its provider.
    const as = await startOidcServer({ clientId: 'toolvault', clientSecret: 'toolvault-secret' });
    try {
      await as.setRedirectUris([tv.redirectUri]);
      await tv.useIssuer(as.issuer);
      const page = await completeConsent(`${tv.url}/connect/link1`, { name: 'Dave' });
      expect(page.url.startsWith(tv.redirectUri)).toBe(true);
      expect(page.html).toContain('Connected as dave');
      expect(as.tokenRequests()).toMatchObject([{ grantType: 'authorization_code', status: 200 }]);
    } finally {
      await Promise.all([tv.close(), as.close()]);
    }
  });

  it('works mounted under /demo of the same express app, and completeConsent ends on the callback', async () => {
    const tv = await startFakeToolvault();
    const server = createAuthorizationServer({
      issuer: `${tv.url}/demo`,
      cookieKeys: ['k1'],
      loginTitle: 'Sign in to <Demo>',
      clients: [
        {
          clientId: 'toolvault',
          clientSecret: 'toolvault-secret',
          clientName: 'Tool "vault" <script>',
          redirectUris: [tv.redirectUri],
        },
      ],
    });
    mountAuthorizationServer(tv.app, server);
    try {
      await tv.useIssuer(`${tv.url}/demo`);
      const page = await completeConsent(`${tv.url}/connect/link2`, { name: 'erin' });
      expect(page.url.startsWith(tv.redirectUri)).toBe(true);
      expect(page.html).toContain('Connected as erin');

      // The sign-in page escapes what it shows, and refuses to work without its interaction cookie.
      const browser = new Browser();
      const login = await browser.submitForm(await browser.get(`${tv.url}/connect/link3`));
      expect(login.url).toMatch(new RegExp(`^${tv.url}/demo/interaction/`));
      expect(login.html).toContain('<h1>Sign in to &lt;Demo&gt;</h1>');
      expect(login.html).toContain('Tool &quot;vault&quot; &lt;script&gt;');
      expect(login.html).not.toContain('<script>');
      const stranger = await new Browser().get(login.url);
      expect(stranger.status).toBe(400);
      expect(stranger.html).toContain('Sign-in expired');

      // The provider's own endpoints live under the mount path too.
      const config = await discover(`${tv.url}/demo`);
      expect(config.serverMetadata().token_endpoint).toBe(`${tv.url}/demo/token`);
      expect(server.revokeGrantsFor('erin')).toBe(1);
    } finally {
      await tv.close();
    }
  });

  it('stops with a clear error when a page has no form and is not the end', async () => {
    const tv = await startFakeToolvault();
    try {
      tv.app.get('/dead-end', (_req, res) => {
        res.status(404).type('html').send('<h1>Nope</h1>');
      });
      await expect(completeConsent(`${tv.url}/dead-end`)).rejects.toThrow(
        /no form and is not the final page.*Nope/,
      );
    } finally {
      await tv.close();
    }
  });
});
