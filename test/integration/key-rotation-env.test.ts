import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { keyIdFor, MASTER_KEY_FILE } from '../../src/vault/master-key.js';

import { rotateKeys } from '../../src/cli/keys.js';

import { startToolvault } from '../support/toolvault.js';
import { seedVault } from '../support/key-rotation-vaults.js';

/** `toolvault keys rotate` when the master key comes from the environment, not a key file. */

describe('keys rotate with the key in the environment', () => {
  it('explains what to do when the environment holds one key, and writes nothing', async () => {
    const key = randomBytes(32).toString('base64');
    const tv = await startToolvault({ masterKey: key });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await rotateKeys(tv.app, { env: { TOOLVAULT_MASTER_KEY: key } })).toBe(1);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toContain('TOOLVAULT_MASTER_KEYS="<new key>,<old key>"');
      expect(said).not.toContain(key);
      expect(() => readFileSync(join(tv.home, MASTER_KEY_FILE))).toThrow();
    } finally {
      err.mockRestore();
      await tv.close();
    }
  });

  it('re-seals under the first of TOOLVAULT_MASTER_KEYS and says the old key can go', async () => {
    const v = await seedVault(5);
    const oldKey = readFileSync(join(v.home, MASTER_KEY_FILE), 'utf8');
    const oldB64 = Object.values((JSON.parse(oldKey) as { keys: Record<string, string> }).keys)[0]!;
    const newB64 = randomBytes(32).toString('base64');
    const env = { TOOLVAULT_MASTER_KEYS: `${newB64},${oldB64}` };
    const tv = await startToolvault({ home: v.home, keyFile: true });
    await tv.close({ keepHome: true });
    const { createApp } = await import('../../src/app/app.js');
    const { loadConfig } = await import('../../src/app/config.js');
    const { createLogger } = await import('../../src/log.js');
    const app = await createApp(
      loadConfig({
        TOOLVAULT_HOME: v.home,
        TOOLVAULT_CONFIG: join(v.home, 'toolvault.config.json'),
        TOOLVAULT_DEMO: '0',
      }),
      {
        env,
        log: createLogger('silent'),
      },
    );
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await rotateKeys(app, { env })).toBe(0);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      const newId = keyIdFor(Buffer.from(newB64, 'base64'));
      expect(said).toContain(`Every secret is sealed with ${newId}`);
      expect(said).toMatch(/no longer used: remove it from TOOLVAULT_MASTER_KEYS/);
      for (const row of await app.vault.store.listConnections()) {
        expect(row.secret.keyId).toBe(newId);
        expect(app.vault.openTokens(row)).toEqual(v.tokens.get(row.id));
      }
    } finally {
      err.mockRestore();
      await app.close();
      await v.store.close();
    }
  });
});
