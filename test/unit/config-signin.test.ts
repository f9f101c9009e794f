import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { configDir, configErrorField, withConfigFile } from '../support/config-fixtures.js';

describe('who may finish a connect link: configuration', () => {
  it('has no sign-in, no verifier and no opt-out by default', () => {
    const c = loadConfig({}, {}, configDir());
    expect(c.signIn).toEqual({ oidc: undefined, links: false });
    expect(c.userVerifier).toBeUndefined();
    expect(c.userVerification).toBe('auto');
  });

  it('reads OIDC sign-in from the environment, with the JWT issuer and user claim as defaults', () => {
    const c = loadConfig(
      {
        TOOLVAULT_JWT_ISSUER: 'https://idp.example',
        TOOLVAULT_JWT_USER_CLAIM: 'email',
        TOOLVAULT_SIGNIN_CLIENT_ID: 'toolvault-web',
        TOOLVAULT_SIGNIN_CLIENT_SECRET: 'shh',
      },
      {},
      configDir(),
    );
    expect(c.signIn.oidc).toEqual({
      issuer: 'https://idp.example',
      clientId: 'toolvault-web',
      clientSecret: 'shh',
      userClaim: 'email',
    });
  });

  it('reads the file, the environment winning', () => {
    const file = withConfigFile({
      signIn: {
        oidc: { issuer: 'https://login.example', clientId: 'f', userClaim: 'preferred_username' },
        links: true,
      },
      userVerifier: { url: 'https://app.example/verify', secret: 'x'.repeat(32) },
      userVerification: 'off',
    });
    const c = loadConfig({ ...file, TOOLVAULT_SIGNIN_LINKS: '0' }, {}, configDir());
    expect(c.signIn).toEqual({
      oidc: {
        issuer: 'https://login.example',
        clientId: 'f',
        clientSecret: undefined,
        userClaim: 'preferred_username',
      },
      links: false,
    });
    expect(c.userVerifier).toEqual({ url: 'https://app.example/verify', secret: 'x'.repeat(32) });
    expect(c.userVerification).toBe('off');
  });

  it('names the field of a bad value', () => {
    const bad = (env: Record<string, string>) => configErrorField(() => loadConfig(env, {}, configDir()));
    expect(bad({ TOOLVAULT_SIGNIN_ISSUER: 'https://idp.example' })).toBe('TOOLVAULT_SIGNIN_CLIENT_ID');
    expect(bad({ TOOLVAULT_SIGNIN_CLIENT_ID: 'x', TOOLVAULT_SIGNIN_ISSUER: 'http://idp.example' })).toBe(
      'TOOLVAULT_SIGNIN_ISSUER',
    );
    expect(bad({ TOOLVAULT_USER_VERIFIER_URL: 'https://app.example/v' })).toBe(
      'TOOLVAULT_USER_VERIFIER_SECRET',
    );
    expect(
      bad({
        TOOLVAULT_USER_VERIFIER_URL: 'http://app.example/v',
        TOOLVAULT_USER_VERIFIER_SECRET: 'y'.repeat(32),
      }),
    ).toBe('TOOLVAULT_USER_VERIFIER_URL');
    expect(bad({ TOOLVAULT_USER_VERIFICATION: 'maybe' })).toBe('TOOLVAULT_USER_VERIFICATION');
    expect(
      configErrorField(() => loadConfig(withConfigFile({ userVerification: 'nope' }), {}, configDir())),
    ).toBe('userVerification');
  });
});
