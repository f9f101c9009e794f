import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { assertBuilt, CLI, freePort } from '../support/cli.js';

/**
 * In stdio mode stdout is the JSON-RPC stream. oidc-provider prints notices with console.info, which once went
 * to stdout; every byte there must be a JSON-RPC message.
 */
it('writes nothing but JSON-RPC messages to stdout in stdio mode', async () => {
  assertBuilt();
  const home = mkdtempSync(join(tmpdir(), 'toolvault-stdout-'));
  writeFileSync(join(home, 'config.json'), '{}');
  // Stands in for a library that prints with console.info once the server runs (oidc-provider's notices).
  const noisyLibrary = 'data:text/javascript,setTimeout(()=>console.info("oidc-provider NOTICE: noise"),400)';
  const child = spawn(process.execPath, ['--import', noisyLibrary, CLI, 'serve', '--stdio'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TOOLVAULT_HOME: home,
      TOOLVAULT_PORT: String(await freePort()),
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLVAULT_CONFIG: join(home, 'config.json'),
      TOOLVAULT_LOG_LEVEL: 'debug',
    },
  });
  const closed = new Promise((r) => child.once('close', r));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
  const waitFor = async (id: number) => {
    for (let i = 0; i < 200 && !stdout.includes(`"id":${id}`); i++)
      await new Promise((r) => setTimeout(r, 25));
  };
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  await waitFor(1);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  send({
    jsonrpc: '2.0',
    id: 3,
    method: 'tools/call',
    params: { name: 'auth_start', arguments: { provider: 'demo' } },
  });
  send({
    jsonrpc: '2.0',
    id: 4,
    method: 'tools/call',
    params: { name: 'auth_disconnect', arguments: { provider: 'demo' } },
  });
  await waitFor(4);
  await new Promise((r) => setTimeout(r, 500));
  child.stdin.end();
  await closed;
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  expect(lines.length).toBeGreaterThanOrEqual(4);
  for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  expect(stderr).toContain('oidc-provider NOTICE: noise');
});
