import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TokenSet } from '../../src/providers/types.js';
import { decodeKeyFile, loadKeyRing, MASTER_KEY_FILE } from '../../src/vault/master-key.js';
import { createSealer } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { Store } from '../../src/vault/types.js';
import { Vault } from '../../src/vault/vault.js';
import { connect, grant, MINUTE, newConsent, T0 } from './store-fixtures.js';

/** Vaults for the key rotation tests (test/integration/key-rotation*.test.ts). */

/** The key ring in `home`'s key file as it is now. */
export const keyFile = (home: string) =>
  decodeKeyFile(readFileSync(join(home, MASTER_KEY_FILE), 'utf8'), 'master.key');

/** A vault in a temp folder with `n` connections and one consent waiting for its callback, key in a file. */
export async function seedVault(n: number) {
  const home = mkdtempSync(join(tmpdir(), 'toolvault-rotate-'));
  const keys = await loadKeyRing({ home, env: {} });
  const store = openSqliteStore(join(home, 'vault.db'));
  const vault = new Vault(store, await createSealer(keys.ring));
  const tokens = new Map<string, TokenSet>();
  for (let i = 0; i < n; i++) {
    const id = `conn_${i}`;
    const t: TokenSet = {
      accessToken: `at-${i}-${randomBytes(8).toString('hex')}`,
      refreshToken: `rt-${i}`,
      tokenType: 'bearer',
    };
    tokens.set(id, t);
    await connect(store, `user${i}`, 'demo', { id, grant: grant('x', { secret: vault.sealTokens(id, t) }) });
  }
  const c = await store.createConsent(
    newConsent('late', 'demo', { createdAt: T0, expiresAt: T0 + 15 * MINUTE }),
  );
  await store.markRedirected(
    c.linkId,
    {
      oauthState: 'st',
      verifier: vault.sealVerifier(c.authId, { codeVerifier: 'cv-123' }),
      callbackExpiresAt: T0 + 10 * MINUTE,
    },
    T0,
  );
  return { home, store, tokens, authId: c.authId, firstKeyId: keys.ring.currentKeyId };
}

/** Opens every secret with the key file as it is now; throws if any does not open or changed. */
export async function expectAllReadable(
  home: string,
  store: Store,
  tokens: Map<string, TokenSet>,
  authId: string,
) {
  const vault = new Vault(store, await createSealer(keyFile(home)));
  for (const row of await store.listConnections()) expect(vault.openTokens(row)).toEqual(tokens.get(row.id));
  expect(vault.openVerifier((await store.getConsent(authId))!)).toEqual({ codeVerifier: 'cv-123' });
}
