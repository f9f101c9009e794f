import { describe, expect, it } from 'vitest';
import { configDir, configErrorField, withConfigFile } from '../support/config-fixtures.js';
import { loadConfig } from '../../src/app/config.js';
import { buildProviders } from '../../src/providers/registry.js';

describe('configuration', () => {
  it('defaults to the embedded setup', () => {
    const c = loadConfig({}, {}, configDir());
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      user: 'local',
      toolNames: 'underscore',
      demo: true,
      refreshSkewSec: 60,
    });
    expect(c.publicUrl).toBe('http://127.0.0.1:8787');
    expect(c.home.endsWith('.toolvault')).toBe(true);
  });

  it('lets the environment win over the file', () => {
    const env = { ...withConfigFile({ port: 9000, user: 'file-user' }), TOOLVAULT_PORT: '9100' };
    const c = loadConfig(env, {}, configDir());
    expect(c.port).toBe(9100);
    expect(c.user).toBe('file-user');
  });

  it('reads provider credentials from env shorthands', () => {
    const c = loadConfig({ SLACK_CLIENT_ID: 'id1', SLACK_CLIENT_SECRET: 's1' }, {}, configDir());
    expect(c.providers['slack']).toEqual({ clientId: 'id1', clientSecret: 's1' });
  });

  it.each([
    [{ TOOLVAULT_PORT: 'eighty' }, 'TOOLVAULT_PORT'],
    [{ TOOLVAULT_PUBLIC_URL: 'ftp://x' }, 'TOOLVAULT_PUBLIC_URL'],
    [{ TOOLVAULT_TOOL_NAMES: 'camel' }, 'TOOLVAULT_TOOL_NAMES'],
    [{ TOOLVAULT_CONFIG: '/nonexistent/toolvault.json' }, 'TOOLVAULT_CONFIG'],
  ])('fails naming the bad variable %j', (env, field) => {
    expect(configErrorField(() => loadConfig(env, {}, configDir()))).toBe(field);
  });

  it.each([
    [{ port: 'x' }, 'port'],
    [{ providers: { github: { tokenUrl: 'not a url' } } }, 'providers.github.tokenUrl'],
    [{ providers: { github: { clientId: 'a', colour: 'blue' } } }, 'providers.github'],
    [{ toolNames: 'x' }, 'toolNames'],
    ['{ not json', 'TOOLVAULT_CONFIG'],
  ])('fails naming the bad field in the file %j', (json, field) => {
    expect(configErrorField(() => loadConfig(withConfigFile(json), {}, configDir()))).toBe(field);
  });

  it('names the missing endpoint of a generic provider', () => {
    const c = loadConfig(
      withConfigFile({
        providers: {
          corp: { type: 'oauth2', clientId: 'a', clientSecret: 'b', authorizeUrl: 'https://x/a' },
        },
      }),
      {},
      configDir(),
    );
    expect(configErrorField(() => buildProviders(c))).toBe('providers.corp.tokenUrl');
  });
});
