import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import { assertBuilt, CLI, freePort, spawnStdio } from '../support/cli.js';

const sc = (r: unknown) =>
  ((r as { structuredContent?: unknown }).structuredContent ?? {}) as Record<string, any>;

/** `toolvault serve --http`, `connect` and `status` as a person and an HTTP agent use them. */
describe('the built CLI over streamable HTTP', () => {
  let proc: ChildProcess;
  let url: string;
  let port: number;
  let err = '';
  const home = mkdtempSync(join(tmpdir(), 'toolvault-http-'));
  const env = {
    PATH: process.env['PATH'] ?? '',
    TOOLVAULT_HOME: home,
    TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    TOOLVAULT_CONFIG: join(home, 'none.json'),
  };
  writeFileSync(env.TOOLVAULT_CONFIG, '{}');

  const run = (args: string[], onStdout?: (s: string) => void) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, ...args], { env: { ...env, TOOLVAULT_PORT: String(port) } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        onStdout?.(stdout);
      });
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    assertBuilt();
    port = await freePort();
    proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], { env });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 15_000);
      proc.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('Press Ctrl+C')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    proc?.kill('SIGTERM');
  });

  it('prints where to point an MCP client and a connect link', () => {
    expect(err).toContain(`MCP endpoint:  ${url}/mcp`);
    expect(err).toMatch(new RegExp(`Connect the demo provider: ${url}/connect/[A-Za-z0-9_-]+`));
  });

  it('serves tools over streamable HTTP and completes the demo consent', async () => {
    const client = new Client({ name: 'http-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
    await client.connect(transport);
    const started = sc(await client.callTool({ name: 'auth_start', arguments: { provider: 'demo' } }));
    expect(started.status).toBe('pending');
    await completeConsent(started.authUrl, { name: 'hank' });
    const status = sc(
      await client.callTool({ name: 'auth_status', arguments: { authId: started.authId, waitSeconds: 5 } }),
    );
    expect(status.connections).toEqual([expect.objectContaining({ provider: 'demo', state: 'healthy' })]);
    expect(sc(await client.callTool({ name: 'demo_whoami', arguments: {} }))).toMatchObject({
      subject: 'hank',
    });
    await transport.terminateSession();
    await client.close();
  });

  it('answers a malformed body and a foreign Origin with JSON-RPC errors and keeps serving', async () => {
    const bad = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{oops',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: -32700 } });
    const evil = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: '{}',
    });
    expect(evil.status).toBe(403);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('`status --json` reports the connection from the shared vault', async () => {
    const r = await run(['status', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.connections).toEqual([expect.objectContaining({ provider: 'demo', state: 'healthy' })]);
  });

  it('`connect` prints a link the running server completes, then exits 0', async () => {
    let opened = false;
    const r = await run(['connect', 'demo', '--user', 'ivy'], (stdout) => {
      const link = stdout.trim().split('\n')[0];
      if (!opened && link?.startsWith('http')) {
        opened = true;
        void completeConsent(link, { name: 'ivy' });
      }
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${url}/connect/[A-Za-z0-9_-]+$`));
    expect(r.stderr).toContain('Connected demo');
  });

  it('keeps serving tools over stdio when the web port is taken', async () => {
    const tv = await spawnStdio({ port, env: { TOOLVAULT_MASTER_KEY: env.TOOLVAULT_MASTER_KEY } });
    const { tools } = await tv.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    // A tool call waits for start-up to finish, by which time the port problem has been logged.
    expect(sc(await tv.call('auth_status')).status).toBe('ok');
    expect(tv.stderr()).toContain('web listener unavailable');
    await tv.close();
  });
});
