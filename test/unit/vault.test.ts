import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSealer, VaultIntegrityError } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { Vault } from '../../src/vault/vault.js';
import { ConfigError } from '../../src/errors.js';
import type { TokenSet } from '../../src/providers/types.js';
import { connect, grant, MINUTE, newConsent, T0 } from '../support/store-fixtures.js';

const tokens: TokenSet = {
  accessToken: 'xoxp-access',
  refreshToken: 'xoxe-refresh',
  tokenType: 'user',
  extra: { bot: { accessToken: 'xoxb-bot', refreshToken: 'xoxe-bot', expiresAt: T0 + 1 } },
};

async function vaultWith(current: string, keys: [string, Uint8Array][]): Promise<Vault> {
  const sealer = await createSealer({ currentKeyId: current, keys: new Map(keys) });
  return new Vault(openSqliteStore(':memory:'), sealer);
}

describe('Vault', () => {
  const keyA = new Uint8Array(randomBytes(32));
  let vault: Vault;
  beforeEach(async () => {
    vault = await vaultWith('k_a', [['k_a', keyA]]);
  });
  afterEach(async () => {
    await vault.store.close();
  });

  it('opens the tokens it sealed for a stored connection', async () => {
    const row = await connect(vault.store, 'u1', 'slack', {
      id: 'c1',
      grant: grant('', { secret: vault.sealTokens('c1', tokens) }),
    });
    expect(vault.openTokens(row)).toEqual(tokens);
  });

  it('refuses tokens copied onto another connection', async () => {
    const row = await connect(vault.store, 'u1', 'slack', {
      id: 'c1',
      grant: grant('', { secret: vault.sealTokens('c2', tokens) }),
    });
    expect(() => vault.openTokens(row)).toThrow(VaultIntegrityError);
  });

  it('refuses a sealed payload that is not a token set', async () => {
    const secret = vault.sealer.seal(JSON.stringify({ accessToken: 1 }), 'conn:c1');
    const row = await connect(vault.store, 'u1', 'slack', { id: 'c1', grant: grant('', { secret }) });
    expect(() => vault.openTokens(row)).toThrow(expect.objectContaining({ kind: 'format' }));
  });

  it('seals a consent verifier bound to its auth id', async () => {
    const c = await vault.store.createConsent(newConsent('u1', 'slack'));
    expect(() => vault.openVerifier(c)).toThrow(expect.objectContaining({ kind: 'missing' }));
    const verifier = vault.sealVerifier(c.authId, { codeVerifier: 'v'.repeat(43), nonce: 'n1' });
    const redirected = await vault.store.markRedirected(
      c.linkId,
      { oauthState: 's1', verifier, callbackExpiresAt: T0 + 10 * MINUTE },
      T0,
    );
    expect(vault.openVerifier(redirected!)).toEqual({ codeVerifier: 'v'.repeat(43), nonce: 'n1' });
    expect(() => vault.openVerifier({ ...redirected!, authId: 'auth_other' })).toThrow(VaultIntegrityError);
  });

  it('starts when every stored secret was sealed with a key in the ring', async () => {
    await connect(vault.store, 'u1', 'slack', {
      id: 'c1',
      grant: grant('', { secret: vault.sealTokens('c1', tokens) }),
    });
    await expect(vault.assertKeysPresent()).resolves.toBeUndefined();
  });

  it('fails closed at start naming a key id the ring lacks', async () => {
    const other = await createSealer({
      currentKeyId: 'k_lost',
      keys: new Map([['k_lost', new Uint8Array(randomBytes(32))]]),
    });
    await connect(vault.store, 'u1', 'slack', {
      id: 'c1',
      grant: grant('', { secret: other.seal('x', 'conn:c1') }),
    });
    const err = await vault.assertKeysPresent().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('k_lost');
  });
});
