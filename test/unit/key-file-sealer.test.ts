import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { KeyFileSealer } from '../../src/vault/key-file-sealer.js';
import { keyIdFor, loadKeyRing, replaceKeyFile } from '../../src/vault/master-key.js';
import { VaultIntegrityError } from '../../src/vault/seal.js';

const quiet = createLogger('silent');

/** A running server follows `master.key`: it seals with the file's current key and never forgets a key it held. */
describe('KeyFileSealer', () => {
  it('seals with the new current key once the file changes, and still opens what the retired key sealed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'toolvault-kfs-'));
    const loaded = await loadKeyRing({ home, env: {} });
    const sealer = new KeyFileSealer(loaded.path!, loaded.ring, quiet);
    const old = loaded.ring.currentKeyId;
    const before = sealer.seal('secret-1', 'conn:a');
    expect(before.keyId).toBe(old);

    const key = new Uint8Array(randomBytes(32));
    const next = keyIdFor(key);
    await replaceKeyFile(home, { currentKeyId: next, keys: new Map([...loaded.ring.keys, [next, key]]) });
    const during = sealer.seal('secret-2', 'conn:b');
    expect(during.keyId).toBe(next);

    // Retired from the file: this process keeps the old key for what it sealed before.
    await replaceKeyFile(home, { currentKeyId: next, keys: new Map([[next, key]]) });
    expect(new TextDecoder().decode(sealer.open(before, 'conn:a'))).toBe('secret-1');
    expect(sealer.seal('secret-3', 'conn:c').keyId).toBe(next);

    // A process started now knows only the file's key.
    const fresh = new KeyFileSealer(loaded.path!, (await loadKeyRing({ home, env: {} })).ring, quiet);
    expect(new TextDecoder().decode(fresh.open(during, 'conn:b'))).toBe('secret-2');
    expect(() => fresh.open(before, 'conn:a')).toThrow(VaultIntegrityError);
  });

  it('learns a key written by another process when it meets a secret sealed with it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'toolvault-kfs-'));
    const loaded = await loadKeyRing({ home, env: {} });
    const server = new KeyFileSealer(loaded.path!, loaded.ring, quiet);
    const key = new Uint8Array(randomBytes(32));
    const next = keyIdFor(key);
    await replaceKeyFile(home, { currentKeyId: next, keys: new Map([...loaded.ring.keys, [next, key]]) });
    const rotator = new KeyFileSealer(loaded.path!, (await loadKeyRing({ home, env: {} })).ring, quiet);
    const resealed = rotator.seal('tokens', 'conn:x');
    expect(server.hasKey(next)).toBe(true);
    expect(new TextDecoder().decode(server.open(resealed, 'conn:x'))).toBe('tokens');
  });

  it('logs a damaged key file once, keeps sealing with the ring it had, and follows the file once repaired', async () => {
    const home = mkdtempSync(join(tmpdir(), 'toolvault-kfs-'));
    const loaded = await loadKeyRing({ home, env: {} });
    const logs: string[] = [];
    const log = createLogger('debug', { write: (line: string) => void logs.push(line) });
    const sealer = new KeyFileSealer(loaded.path!, loaded.ring, log);
    const old = loaded.ring.currentKeyId;

    writeFileSync(loaded.path!, '{"version": 1, "current": "k_'); // cut short mid-write
    expect(sealer.seal('secret-1', 'conn:a').keyId).toBe(old);
    expect(sealer.seal('secret-2', 'conn:b').keyId).toBe(old);
    const damaged = logs.filter((l) => l.includes('key file is damaged'));
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toContain('not valid JSON');

    const key = new Uint8Array(randomBytes(32));
    const next = keyIdFor(key);
    await replaceKeyFile(home, { currentKeyId: next, keys: new Map([...loaded.ring.keys, [next, key]]) });
    expect(sealer.seal('secret-3', 'conn:c').keyId).toBe(next);
  });
});
