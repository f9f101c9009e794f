import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { type CliServer, freePort, spawnStdio, vaultBytes } from '../support/cli.js';
import { type OidcServer, startOidcServer } from '../support/oidc-server.js';

const sc = (r: unknown) =>
  ((r as { structuredContent?: unknown }).structuredContent ?? {}) as Record<string, any>;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

describe('the built CLI over stdio', () => {
  let as: OidcServer;
  let tv: CliServer;
  const issued: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    as = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
    // oidc-provider's opaque token value is its jti: record every access and refresh token it issues.
    as.provider.on('access_token.saved', (t) => issued.push(t.jti));
    as.provider.on('refresh_token.saved', (t) => issued.push(t.jti));
    tv = await spawnStdio({
      port,
      config: {
        providers: {
          corp: { type: 'oidc', issuer: as.issuer, clientId: as.clientId, clientSecret: as.clientSecret },
        },
      },
    });
  });
  afterAll(async () => {
    await tv?.close();
    await as?.close();
  });

  it('lists only names clients accept, with titles, annotations and object output schemas', async () => {
    const { tools } = await tv.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['auth_start', 'auth_status', 'auth_disconnect']),
    );
    for (const t of tools) {
      expect(t.name).toMatch(NAME);
      expect(t.title).toBeTruthy();
      expect(t.annotations).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
      });
      expect(t.outputSchema?.type).toBe('object');
      expect(t.outputSchema?.properties).toHaveProperty('status');
    }
  });

  it('connects the built-in demo provider through its link and reports it healthy', async () => {
    const started = sc(await tv.call('auth_start', { provider: 'demo' }));
    expect(started).toMatchObject({ status: 'pending', provider: 'demo' });
    const page = await completeConsent(started.authUrl, { name: 'Dana Demo' });
    expect(page.html).toContain('is connected');
    const status = sc(await tv.call('auth_status', { authId: started.authId, waitSeconds: 10 }));
    expect(status.consent.state).toBe('completed');
    const demo = status.connections.find((c: { provider: string }) => c.provider === 'demo');
    expect(demo).toMatchObject({ state: 'healthy' });
    expect(demo.scopes).toEqual(expect.arrayContaining(['openid', 'offline_access']));
    expect(sc(await tv.call('demo_whoami'))).toMatchObject({ status: 'ok', subject: 'dana-demo' });
  });

  it('connects a generic oidc provider declared only in configuration', async () => {
    const started = sc(await tv.call('auth.start', { provider: 'corp' }));
    expect(started.status).toBe('pending');
    const page = await completeConsent(started.authUrl, { name: 'carol' });
    expect(page.html).toContain('is connected');
    const status = sc(
      await tv.call('auth.status', { authId: started.authId, waitSeconds: 10, provider: 'corp' }),
    );
    expect(status.connections).toEqual([expect.objectContaining({ provider: 'corp', state: 'healthy' })]);
    expect(status.connections[0].scopes).toEqual(expect.arrayContaining(['openid', 'offline_access']));
  });

  it('leaks no issued token into a tool result, a log line or the vault file', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(2);
    const results = JSON.stringify(tv.results);
    const logs = tv.stderr();
    const disk = vaultBytes(tv.home);
    expect(logs.length).toBeGreaterThan(0);
    expect(disk.length).toBeGreaterThan(0);
    for (const token of issued) {
      expect(results).not.toContain(token);
      expect(logs).not.toContain(token);
      expect(disk.includes(Buffer.from(token))).toBe(false);
    }
  });
});
