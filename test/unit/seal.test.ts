import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, type Sealer, VaultIntegrityError } from '../../src/vault/seal.js';
import { ConfigError } from '../../src/errors.js';

const keyA = new Uint8Array(randomBytes(32));
const keyB = new Uint8Array(randomBytes(32));
const sealerWith = (current: string, keys: [string, Uint8Array][]): Promise<Sealer> =>
  createSealer({ currentKeyId: current, keys: new Map(keys) });

function failure(fn: () => unknown): VaultIntegrityError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VaultIntegrityError) return err;
    throw err;
  }
  throw new Error('expected a VaultIntegrityError');
}

describe('Sealer', () => {
  it('opens what it sealed, from a string or bytes', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const text = sealer.seal('xoxp-secret', 'conn:c1');
    expect(text.keyId).toBe('k_a');
    expect(new TextDecoder().decode(sealer.open(text, 'conn:c1'))).toBe('xoxp-secret');
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    expect(sealer.open(sealer.seal(bytes, 'conn:c1'), 'conn:c1')).toEqual(bytes);
  });

  it('writes the format version and a 24-byte nonce ahead of the ciphertext and tag', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const { blob } = sealer.seal('abc', 'conn:c1');
    expect(blob[0]).toBe(1);
    expect(blob.length).toBe(1 + 24 + 3 + 16);
  });

  it('refuses to open a secret copied onto another connection', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const sealed = sealer.seal('token', 'conn:c1');
    const err = failure(() => sealer.open(sealed, 'conn:c2'));
    expect(err.kind).toBe('integrity');
    expect(err.message).not.toContain('c2');
  });

  it('refuses a secret with any byte tampered', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const sealed = sealer.seal('token', 'conn:c1');
    for (const index of [1, 30, sealed.blob.length - 1]) {
      const blob = Uint8Array.from(sealed.blob);
      blob[index] = (blob[index] ?? 0) ^ 0x01;
      expect(failure(() => sealer.open({ keyId: 'k_a', blob }, 'conn:c1')).kind).toBe('integrity');
    }
  });

  it('refuses an unknown format version or a truncated blob', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const sealed = sealer.seal('token', 'conn:c1');
    const versioned = Uint8Array.from(sealed.blob);
    versioned[0] = 2;
    expect(failure(() => sealer.open({ keyId: 'k_a', blob: versioned }, 'conn:c1')).kind).toBe('format');
    const short = sealed.blob.subarray(0, 30);
    expect(failure(() => sealer.open({ keyId: 'k_a', blob: short }, 'conn:c1')).kind).toBe('format');
  });

  it('names an unknown key id without revealing key or plaintext bytes', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const other = await sealerWith('k_b', [['k_b', keyB]]);
    const sealed = other.seal('plaintext-canary', 'conn:c1');
    const err = failure(() => sealer.open(sealed, 'conn:c1'));
    expect(err).toMatchObject({ kind: 'unknown_key', keyId: 'k_b' });
    expect(err.message).toContain('k_b');
    expect(err.message).not.toContain('plaintext-canary');
    expect(err.message).not.toContain(Buffer.from(keyB).toString('base64'));
  });

  it('fails integrity when a key id names the wrong key', async () => {
    const sealer = await sealerWith('k_a', [
      ['k_a', keyA],
      ['k_b', keyB],
    ]);
    const sealed = sealer.seal('token', 'conn:c1');
    expect(failure(() => sealer.open({ ...sealed, keyId: 'k_b' }, 'conn:c1')).kind).toBe('integrity');
  });

  it('seals the same plaintext differently every time', async () => {
    const sealer = await sealerWith('k_a', [['k_a', keyA]]);
    const a = sealer.seal('same', 'conn:c1');
    const b = sealer.seal('same', 'conn:c1');
    expect(Buffer.from(a.blob).equals(Buffer.from(b.blob))).toBe(false);
  });

  it('opens secrets under a retired key while sealing under the current one', async () => {
    const old = await sealerWith('k_a', [['k_a', keyA]]);
    const sealedOld = old.seal('old', 'conn:c1');
    const rotated = await sealerWith('k_b', [
      ['k_a', keyA],
      ['k_b', keyB],
    ]);
    expect(new TextDecoder().decode(rotated.open(sealedOld, 'conn:c1'))).toBe('old');
    expect(rotated.seal('new', 'conn:c1').keyId).toBe('k_b');
    expect(rotated.keyIds().sort()).toEqual(['k_a', 'k_b']);
  });

  it('is not affected by later changes to the key ring it was built from', async () => {
    const keys = new Map([['k_a', Uint8Array.from(keyA)]]);
    const sealer = await createSealer({ currentKeyId: 'k_a', keys });
    const sealed = sealer.seal('token', 'conn:c1');
    keys.get('k_a')?.fill(0);
    keys.delete('k_a');
    expect(new TextDecoder().decode(sealer.open(sealed, 'conn:c1'))).toBe('token');
  });

  it('rejects a key ring without its current key or with a short key', async () => {
    await expect(sealerWith('k_x', [['k_a', keyA]])).rejects.toBeInstanceOf(ConfigError);
    await expect(sealerWith('k_a', [['k_a', keyA.subarray(0, 16)]])).rejects.toBeInstanceOf(ConfigError);
  });
});
