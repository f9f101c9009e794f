import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIRECT } from '../support/connector.js';
import { type HostedHarness, startHosted } from '../support/hosted.js';

/**
 * How an operator limits who registers with the connector (issue 14): an initial access token that dynamic
 * registration then requires (RFC 7591 §3), and a rate limit on registrations per client address.
 */
describe('limiting connector registration', () => {
  let tv: HostedHarness;
  const TOKEN = 'registration-token-0123456789';

  beforeAll(async () => {
    tv = await startHosted({
      env: { TOOLVAULT_CONNECTOR: '1', TOOLVAULT_CONNECTOR_REGISTRATION_TOKEN: TOKEN },
      config: { connector: { registrationsPerMinute: 2 } },
    });
  });
  afterAll(async () => {
    await tv?.close();
  });

  const register = (bearer?: string) =>
    fetch(`${tv.url}/as/reg`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });

  it('requires the initial access token, then limits registrations per address with 429', async () => {
    const without = await register();
    expect(without.status).toBe(401);
    expect(await without.json()).toMatchObject({ error: 'invalid_token' });
    const withToken = await register(TOKEN);
    expect(withToken.status).toBe(201);
    expect(((await withToken.json()) as { client_id?: string }).client_id).toBeTruthy();
    // Two a minute: the one refused above and the one admitted spent them.
    const limited = await register(TOKEN);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });
});
