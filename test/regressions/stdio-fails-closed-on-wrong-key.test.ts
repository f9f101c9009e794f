import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { CLI, freePort, spawnStdio } from '../support/cli.js';

/**
 * stdio answers initialize and tools/list before the vault is open (cold start). A vault sealed under a key
 * the process lacks must still stop it: exit 1, the variable named on stderr, no tool served.
 */
it('exits 1 naming the key when the vault was sealed under another key', async () => {
  const keyA = randomBytes(32).toString('base64');
  const first = await spawnStdio({ env: { TOOLVAULT_MASTER_KEY: keyA } });
  const started = (await first.call('auth_start', { provider: 'demo' })).structuredContent as {
    authUrl: string;
  };
  await completeConsent(started.authUrl, { name: 'kim' });
  await first.close();

  const child = spawn(process.execPath, [CLI, 'serve', '--stdio'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TOOLVAULT_HOME: first.home,
      TOOLVAULT_CONFIG: `${first.home}/toolvault.config.json`,
      TOOLVAULT_PORT: String(await freePort()),
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain('TOOLVAULT_MASTER_KEY');
});
