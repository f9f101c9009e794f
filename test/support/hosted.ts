import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type ProviderConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/log.js';
import { ApiKeys } from '../../src/server/api-keys.js';
import { type App, createApp } from '../../src/app/app.js';
import { type Hosted, mountHosted } from '../../src/app/hosted.js';

/**
 * toolvault in the test process as `serve --http` assembles it (identity, rate limit, /mcp), on 127.0.0.1:0,
 * reached over real HTTP by SDK clients that send an API key.
 */

export interface HostedHarness {
  app: App;
  hosted: Hosted;
  url: string;
  mcpUrl: string;
  logs: string[];
  /** Creates an API key for `user` and returns the key. */
  key(user: string): Promise<string>;
  /** An SDK client over streamable HTTP, sending `Authorization: Bearer <bearer>` when given. */
  client(bearer?: string): Promise<HttpClient>;
  /** A raw JSON-RPC POST to /mcp. */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface HttpClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function connectHttpClient(mcpUrl: string, bearer?: string): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {},
  });
  const client = new Client({ name: 'hosted-agent', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}

export const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

export async function startHosted(
  o: {
    env?: Record<string, string>;
    providers?: Record<string, ProviderConfig>;
    /** More of toolvault.config.json (e.g. `http`). */
    config?: Record<string, unknown>;
    clock?: Clock;
  } = {},
): Promise<HostedHarness> {
  const home = mkdtempSync(join(tmpdir(), 'toolvault-hosted-'));
  const masterKey = randomBytes(32).toString('base64');
  const configFile = join(home, 'toolvault.config.json');
  writeFileSync(configFile, JSON.stringify({ ...o.config, providers: o.providers ?? {} }));
  const config = loadConfig({
    TOOLVAULT_HOME: home,
    TOOLVAULT_PORT: '0',
    TOOLVAULT_MASTER_KEY: masterKey,
    TOOLVAULT_CONFIG: configFile,
    TOOLVAULT_DEMO: '0',
    TOOLVAULT_LOG_LEVEL: 'debug',
    ...o.env,
  });
  const logs: string[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const app = await createApp(config, {
    log,
    ...(o.clock ? { clock: o.clock } : {}),
    env: { TOOLVAULT_MASTER_KEY: masterKey },
  });
  const hosted = mountHosted(app);
  const url = await app.listen();
  if (!url) throw new Error('listener failed');
  const mcpUrl = `${url}/mcp`;
  const apiKeys = new ApiKeys({ store: app.vault.store, clock: app.clock, log });
  const clients: HttpClient[] = [];
  return {
    app,
    hosted,
    url,
    mcpUrl,
    logs,
    key: async (user) => (await apiKeys.create(user)).key,
    async client(bearer) {
      const c = await connectHttpClient(mcpUrl, bearer);
      clients.push(c);
      return c;
    },
    post: (body, headers = {}) =>
      fetch(mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await hosted.closeAll();
      await app.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
