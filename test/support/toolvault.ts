import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type ProviderConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/log.js';
import { type App, createApp } from '../../src/app/app.js';

/**
 * toolvault in the test process: a temp vault, the web listener on 127.0.0.1:0, every log line captured (for
 * canary sweeps), and an MCP SDK Client over a linked in-memory transport — the agent's view.
 */

export interface HarnessOptions {
  providers?: Record<string, ProviderConfig>;
  clock?: Clock;
  /** Built-in demo provider; default off so tests configure their own authorization servers. */
  demo?: boolean;
  toolNames?: 'underscore' | 'dotted';
  user?: string;
  env?: Record<string, string>;
  /** Reuse a vault folder (restart scenarios). */
  home?: string;
  masterKey?: string;
  /** Keep the master key in `<home>/master.key` (created on first start) instead of the environment. */
  keyFile?: boolean;
  /** Every outbound request toolvault makes (token endpoint, API, probes), e.g. an instrumented fetch. */
  fetch?: typeof fetch;
  /** Jitter source (due times, backoff); seeded in long simulations so they replay exactly. */
  random?: () => number;
}

export interface Harness {
  app: App;
  url: string;
  home: string;
  masterKey: string;
  client: Client;
  logs: string[];
  /** Every tool result seen through `call`, for canary sweeps. */
  results: CallToolResult[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Another agent session for the same user (or another user). */
  connectClient(): Promise<Client>;
  close(opts?: { keepHome?: boolean }): Promise<void>;
}

export async function startToolvault(o: HarnessOptions = {}): Promise<Harness> {
  const home = o.home ?? mkdtempSync(join(tmpdir(), 'toolvault-test-'));
  const masterKey = o.masterKey ?? randomBytes(32).toString('base64');
  const configFile = join(home, 'toolvault.config.json');
  writeFileSync(configFile, JSON.stringify({ providers: o.providers ?? {} }));
  const config = loadConfig({
    TOOLVAULT_HOME: home,
    TOOLVAULT_PORT: '0',
    ...(o.keyFile ? {} : { TOOLVAULT_MASTER_KEY: masterKey }),
    TOOLVAULT_CONFIG: configFile,
    TOOLVAULT_DEMO: o.demo ? '1' : '0',
    TOOLVAULT_TOOL_NAMES: o.toolNames ?? 'underscore',
    TOOLVAULT_USER: o.user ?? 'local',
    TOOLVAULT_LOG_LEVEL: 'debug',
    ...o.env,
  });
  const logs: string[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const app = await createApp(config, {
    log,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.random ? { random: o.random } : {}),
    env: o.keyFile ? {} : { TOOLVAULT_MASTER_KEY: masterKey },
  });
  const url = await app.listen();
  if (!url) throw new Error('listener failed');
  const clients: Client[] = [];
  const connectClient = async (): Promise<Client> => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = app.newMcpServer();
    await server.connect(serverSide);
    const c = new Client({ name: 'test-agent', version: '1.0.0' });
    await c.connect(clientSide);
    clients.push(c);
    return c;
  };
  const client = await connectClient();
  const results: CallToolResult[] = [];
  return {
    app,
    url,
    home,
    masterKey,
    client,
    logs,
    results,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push(r);
      return r;
    },
    connectClient,
    async close({ keepHome = false } = {}) {
      await Promise.allSettled(clients.map((c) => c.close()));
      await app.close();
      if (!keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The structured content of a tool result, typed loosely for assertions. */
export function sc(r: CallToolResult): Record<string, any> {
  return (r.structuredContent ?? {}) as Record<string, any>;
}
