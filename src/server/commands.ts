import { viewConnection } from '../auth/connections.js';
import { LINK_TTL_MS } from '../auth/consent.js';
import { loadConfig } from '../config.js';
import { type App, createApp } from './app.js';
import { demoDeclaration } from './demo.js';
import { mountMcpHttp } from './http.js';
import { serveStdio } from './stdio.js';

/** The CLI's commands. Human output goes to stderr; stdout carries only what scripts capture. */

export interface CommandOptions {
  stdio?: boolean;
  http?: boolean;
  host?: string;
  port?: string;
  user?: string;
  scopes?: string;
  json?: boolean;
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function portOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: not a port number: ${raw}`);
  return n;
}

async function open(o: CommandOptions): Promise<App> {
  const port = portOption(o.port);
  const config = loadConfig(process.env, {
    ...(o.host ? { host: o.host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  if (o.user) config.user = o.user;
  return createApp(config);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function serveHttp(app: App): Promise<void> {
  const hostsFor = (): string[] => {
    const port = new URL(app.publicUrl()).port;
    const bind = app.config.host.includes(':') ? `[${app.config.host}]` : app.config.host;
    return [new URL(app.publicUrl()).host, `${bind}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`].map(
      (h) => h.toLowerCase(),
    );
  };
  const handle = mountMcpHttp(app.web, {
    newServer: () => app.newMcpServer(),
    log: app.log,
    allowedHosts: hostsFor,
    allowedOrigins: () => [new URL(app.publicUrl()).origin, ...hostsFor().map((h) => `http://${h}`)],
  });
  const url = await app.listen();
  app.scheduler.start();
  say(`toolvault is running (user "${app.config.user}", vault ${app.config.home}).`);
  say(`  MCP endpoint:  ${url}/mcp`);
  say(`  Claude Code:   claude mcp add --transport http toolvault ${url}/mcp`);
  if (app.config.demo) {
    const started = await app.services.consent.start(app.config.user, 'demo');
    if (started.status === 'pending') say(`  Connect the demo provider: ${started.authUrl}`);
    else say('  The demo provider is already connected.');
  }
  say('Press Ctrl+C to stop.');
  await untilSignal();
  await handle.closeAll();
}

async function connect(app: App, provider: string | undefined, o: CommandOptions): Promise<number> {
  if (!provider) throw new Error('connect: name a provider, e.g. `toolvault connect github`');
  const own = await app.listen({ tolerateInUse: true });
  if (!own && app.config.demo && !app.providers.has('demo')) {
    // A running toolvault serves the links from the shared vault; we only need the declaration here.
    const d = demoDeclaration(`${app.publicUrl()}/demo`);
    app.providers.set('demo', { declaration: d, settings: { clientId: 'toolvault' } });
  }
  if (!app.providers.has(provider)) {
    throw new Error(
      `connect: unknown provider "${provider}"; configured: ${[...app.providers.keys()].join(', ') || 'none'}`,
    );
  }
  const scopes = o.scopes
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const started = await app.services.consent.start(app.config.user, provider, scopes);
  if (started.status === 'connected') {
    say(`${provider} is already connected for "${app.config.user}" with ${started.scopes.join(' ')}.`);
    return 0;
  }
  process.stdout.write(`${started.authUrl}\n`);
  say(
    `Open the link above in a browser to connect ${provider} for "${app.config.user}" (expires ${started.expiresAt}).`,
  );
  const done = await app.services.consent.waitFor(started.authId, LINK_TTL_MS + 60_000, app.config.user);
  if (done?.status === 'completed') {
    say(`Connected ${provider}.`);
    return 0;
  }
  say(`Not connected: ${done?.error ?? 'the link expired'}.`);
  return 1;
}

async function status(app: App, o: CommandOptions): Promise<number> {
  const rows = await app.vault.store.listConnections({ userId: app.config.user });
  const now = app.clock.now();
  const views = rows.map((r) => viewConnection(r, now));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ user: app.config.user, connections: views }, null, 2)}\n`);
    return 0;
  }
  if (views.length === 0) {
    process.stdout.write(`No connections for "${app.config.user}". Try: toolvault connect demo\n`);
    return 0;
  }
  for (const v of views) {
    const err = v.lastError ? `  last error ${v.lastError.kind} at ${v.lastError.at}` : '';
    process.stdout.write(
      `${v.provider.padEnd(10)} ${v.state.padEnd(26)} expires ${v.accessExpiresAt ?? 'never'}  scopes ${v.scopes.join(' ')}${err}\n`,
    );
  }
  return 0;
}

export async function runCommand(command: string, positionals: string[], o: CommandOptions): Promise<number> {
  const known = ['serve', 'connect', 'status'];
  if (!known.includes(command)) throw new Error(`unknown command "${command}" (try: ${known.join(', ')})`);
  if (command === 'serve' && o.stdio === o.http)
    throw new Error('serve: choose exactly one of --stdio or --http');
  const app = await open(o);
  try {
    if (command === 'serve') {
      if (o.stdio) await serveStdio(app);
      else await serveHttp(app);
      return 0;
    }
    if (command === 'connect') return await connect(app, positionals[0], o);
    return await status(app, o);
  } finally {
    await app.close();
  }
}
