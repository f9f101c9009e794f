import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { buildProviders } from '../../src/providers/registry.js';

const dir = () => mkdtempSync(join(tmpdir(), 'toolvault-config-'));
function withFile(json: unknown): Record<string, string> {
  const d = dir();
  const f = join(d, 'toolvault.config.json');
  writeFileSync(f, typeof json === 'string' ? json : JSON.stringify(json));
  return { TOOLVAULT_CONFIG: f };
}
const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.field;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('defaults to the embedded setup', () => {
    const c = loadConfig({}, {}, dir());
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
    const env = { ...withFile({ port: 9000, user: 'file-user' }), TOOLVAULT_PORT: '9100' };
    const c = loadConfig(env, {}, dir());
    expect(c.port).toBe(9100);
    expect(c.user).toBe('file-user');
  });

  it('reads provider credentials from env shorthands', () => {
    const c = loadConfig({ SLACK_CLIENT_ID: 'id1', SLACK_CLIENT_SECRET: 's1' }, {}, dir());
    expect(c.providers['slack']).toEqual({ clientId: 'id1', clientSecret: 's1' });
  });

  it.each([
    [{ TOOLVAULT_PORT: 'eighty' }, 'TOOLVAULT_PORT'],
    [{ TOOLVAULT_PUBLIC_URL: 'ftp://x' }, 'TOOLVAULT_PUBLIC_URL'],
    [{ TOOLVAULT_TOOL_NAMES: 'camel' }, 'TOOLVAULT_TOOL_NAMES'],
    [{ TOOLVAULT_CONFIG: '/nonexistent/toolvault.json' }, 'TOOLVAULT_CONFIG'],
  ])('fails naming the bad variable %j', (env, field) => {
    expect(fieldOf(() => loadConfig(env, {}, dir()))).toBe(field);
  });

  it.each([
    [{ port: 'x' }, 'port'],
    [{ providers: { github: { tokenUrl: 'not a url' } } }, 'providers.github.tokenUrl'],
    [{ providers: { github: { clientId: 'a', colour: 'blue' } } }, 'providers.github'],
    [{ toolNames: 'x' }, 'toolNames'],
    ['{ not json', 'TOOLVAULT_CONFIG'],
  ])('fails naming the bad field in the file %j', (json, field) => {
    expect(fieldOf(() => loadConfig(withFile(json), {}, dir()))).toBe(field);
  });

  it('names the missing endpoint of a generic provider', () => {
    const c = loadConfig(
      withFile({
        providers: {
          corp: { type: 'oauth2', clientId: 'a', clientSecret: 'b', authorizeUrl: 'https://x/a' },
        },
      }),
      {},
      dir(),
    );
    expect(fieldOf(() => buildProviders(c))).toBe('providers.corp.tokenUrl');
  });
});
