import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeKeyFile,
  encodeKeyFile,
  keyIdFor,
  loadKeyRing,
  MASTER_KEY_ENV,
} from '../../src/vault/master-key.js';
import { ConfigError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'toolvault-key-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshHome = () => join(root, `home-${++n}`, 'nested');

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (err instanceof ConfigError) return err;
  throw new Error(`expected a ConfigError, got ${String(err)}`);
}

describe('master key ring', () => {
  it('uses TOOLVAULT_MASTER_KEY over the key file and says the file is ignored', async () => {
    const home = freshHome();
    const fromFile = await loadKeyRing({ home, env: {} });
    const key = randomBytes(32);
    const loaded = await loadKeyRing({ home, env: { [MASTER_KEY_ENV]: key.toString('base64') } });
    expect(loaded.source).toBe('env');
    expect(loaded.ring.currentKeyId).toBe(keyIdFor(key));
    expect(loaded.ring.currentKeyId).not.toBe(fromFile.ring.currentKeyId);
    expect(loaded.ring.keys.get(loaded.ring.currentKeyId)).toEqual(new Uint8Array(key));
    expect(loaded.warnings.join('\n')).toContain('master.key');
  });

  it('does not create a key file when the key comes from the environment', async () => {
    const home = freshHome();
    await loadKeyRing({ home, env: { [MASTER_KEY_ENV]: randomBytes(32).toString('base64') } });
    expect(() => statSync(join(home, 'master.key'))).toThrow();
  });

  it.each([
    ['not base64', 'not a key!'],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['empty', ''],
  ])('rejects a TOOLVAULT_MASTER_KEY that is %s, naming the variable', async (_, value) => {
    const err = await configError(loadKeyRing({ home: freshHome(), env: { [MASTER_KEY_ENV]: value } }));
    expect(err.field).toBe(MASTER_KEY_ENV);
    expect(err.message).toContain(MASTER_KEY_ENV);
    if (value !== '') expect(err.message).not.toContain(value);
  });

  it('creates the key file with mode 0600 in a new 0700 home', async () => {
    const home = freshHome();
    const loaded = await loadKeyRing({ home, env: {} });
    const path = join(home, 'master.key');
    expect(loaded).toMatchObject({ source: 'file', path, created: true, warnings: [] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file).toMatchObject({ version: 1, current: loaded.ring.currentKeyId });
    expect(Object.keys(file.keys)).toEqual([loaded.ring.currentKeyId]);
    expect(loaded.ring.currentKeyId).toMatch(/^k_[0-9a-f]{16}$/);
  });

  it('reuses the key file on the next start', async () => {
    const home = freshHome();
    const first = await loadKeyRing({ home, env: {} });
    const second = await loadKeyRing({ home, env: {} });
    expect(second.created).toBe(false);
    expect(second.ring.currentKeyId).toBe(first.ring.currentKeyId);
    expect(second.ring.keys).toEqual(first.ring.keys);
  });

  it('settles on one key when several starts race to create the file', async () => {
    const home = freshHome();
    const loads = await Promise.all(Array.from({ length: 8 }, () => loadKeyRing({ home, env: {} })));
    expect(new Set(loads.map((l) => l.ring.currentKeyId)).size).toBe(1);
    expect(loads.filter((l) => l.created)).toHaveLength(1);
  });

  it('warns when the key file is readable by group or others', async () => {
    const home = freshHome();
    await loadKeyRing({ home, env: {} });
    chmodSync(join(home, 'master.key'), 0o644);
    const loaded = await loadKeyRing({ home, env: {} });
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toContain('644');
  });

  it.each([
    ['is not JSON', () => '{"version":1,'],
    ['has another version', (t: string) => t.replace('"version": 1', '"version": 2')],
    [
      'names a missing current key',
      (t: string) => t.replace(/"current": "k_[0-9a-f]+"/, '"current": "k_nope"'),
    ],
    [
      'holds a key that does not match its id',
      (t: string) => t.replace(/"k_[0-9a-f]{16}": "/, '"k_0000000000000000": "'),
    ],
    ['holds a short key', (t: string) => t.replace(/": "[A-Za-z0-9+/]{43}="/, '": "AAAA"')],
  ])('fails closed, naming the file, when the key file %s', async (_, corrupt) => {
    const home = freshHome();
    await loadKeyRing({ home, env: {} });
    const path = join(home, 'master.key');
    writeFileSync(path, corrupt(readFileSync(path, 'utf8')));
    const err = await configError(loadKeyRing({ home, env: {} }));
    expect(err.field).toBe(path);
  });

  it('fails closed when the key file cannot be read', async () => {
    const home = freshHome();
    mkdirSync(join(home, 'master.key'), { recursive: true });
    const err = await configError(loadKeyRing({ home, env: {} }));
    expect(err.field).toBe(join(home, 'master.key'));
  });

  it('round-trips a ring with several keys through the file format', () => {
    const a = new Uint8Array(randomBytes(32));
    const b = new Uint8Array(randomBytes(32));
    const ring = {
      currentKeyId: keyIdFor(b),
      keys: new Map([
        [keyIdFor(a), a],
        [keyIdFor(b), b],
      ]),
    };
    expect(decodeKeyFile(encodeKeyFile(ring), 'x')).toEqual(ring);
  });

  it('derives a stable key id that does not contain the key', () => {
    const key = new Uint8Array(randomBytes(32));
    expect(keyIdFor(key)).toBe(keyIdFor(Uint8Array.from(key)));
    expect(Buffer.from(key).toString('hex')).not.toContain(keyIdFor(key).slice(2));
  });
});
