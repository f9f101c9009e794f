import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKeyRing } from '../../src/vault/master-key.js';
import { createSealer } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { Vault } from '../../src/vault/vault.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { connect, grant } from '../support/store-fixtures.js';

/** `toolvault keys rotate` and `toolvault events` from the built CLI, as an operator types them. */

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('operator commands of the built CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'toolvault-ops-'));
  const env = { TOOLVAULT_HOME: home, TOOLVAULT_CONFIG: join(home, 'none.json'), TOOLVAULT_DEMO: '0' };
  const tokens = {
    accessToken: `at-${randomBytes(8).toString('hex')}`,
    refreshToken: 'rt-1',
    tokenType: 'bearer',
  };
  let firstKey = '';

  beforeAll(async () => {
    assertBuilt();
    writeFileSync(env.TOOLVAULT_CONFIG, '{}');
    const keys = await loadKeyRing({ home, env: {} });
    firstKey = keys.ring.currentKeyId;
    const store = openSqliteStore(join(home, 'vault.db'));
    const vault = new Vault(store, await createSealer(keys.ring));
    await connect(store, 'alice', 'demo', {
      id: 'c1',
      grant: grant('x', { secret: vault.sealTokens('c1', tokens) }),
    });
    await store.appendEvent({
      at: Date.UTC(2026, 0, 1),
      type: 'state_changed',
      connectionId: 'c1',
      userId: 'alice',
      provider: 'demo',
      fromState: 'pending',
      toState: 'healthy',
      reason: 'consent_completed:not_connected',
      detail: {},
    });
    await store.close();
  });

  it('rotates the master key in the file and reports what it retired', async () => {
    const r = await run(['keys', 'rotate'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Added key k_[0-9a-f]{16}; re-sealing secrets from k_/m);
    expect(r.stderr).toContain(`retired ${firstKey}`);
    const file = JSON.parse(readFileSync(join(home, 'master.key'), 'utf8')) as {
      current: string;
      keys: object;
    };
    expect(Object.keys(file.keys)).toEqual([file.current]);
    expect(file.current).not.toBe(firstKey);
    expect(r.stdout + r.stderr).not.toContain(tokens.accessToken);
  });

  it('prints the events as JSON lines', async () => {
    const r = await run(['events', '--json', '--type', 'state_changed'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { type: 'state_changed', userId: 'alice', provider: 'demo', toState: 'healthy' },
    ]);
  });

  it('explains the rotation steps when the key is in the environment', async () => {
    const r = await run(['keys', 'rotate'], {
      ...env,
      TOOLVAULT_HOME: mkdtempSync(join(tmpdir(), 'tv-')),
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TOOLVAULT_MASTER_KEYS="<new key>,<old key>"');
  });
});
