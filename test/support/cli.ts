import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Drives the built CLI as an agent client does: spawned over stdio, with the SDK Client. */

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface CliServer {
  client: Client;
  home: string;
  port: number;
  url: string;
  stderr: () => string;
  results: CallToolResult[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function spawnStdio(opts: {
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  home?: string;
  port?: number;
}): Promise<CliServer> {
  assertBuilt();
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'toolvault-e2e-'));
  const port = opts.port ?? (await freePort());
  const configFile = join(home, 'toolvault.config.json');
  writeFileSync(configFile, JSON.stringify(opts.config ?? {}));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio'],
    env: {
      PATH: process.env['PATH'] ?? '',
      TOOLVAULT_HOME: home,
      TOOLVAULT_PORT: String(port),
      TOOLVAULT_CONFIG: configFile,
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLVAULT_LOG_LEVEL: 'debug',
      ...opts.env,
    },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
  await client.connect(transport);
  const results: CallToolResult[] = [];
  return {
    client,
    home,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    results,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push(r);
      return r;
    },
    close: () => client.close(),
  };
}

/** The vault file and its WAL as bytes (what an attacker with disk access reads). */
export function vaultBytes(home: string): Buffer {
  const parts = ['vault.db', 'vault.db-wal'].map((f) => join(home, f)).filter(existsSync);
  return Buffer.concat(parts.map((p) => readFileSync(p)));
}
