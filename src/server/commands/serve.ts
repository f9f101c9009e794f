import type { App } from '../app.js';
import { mountMcpHttp } from '../http.js';
import { serveStdio } from '../stdio.js';
import { type Command, say, withApp } from './command.js';

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

export const serve: Command = {
  name: 'serve',
  usage: 'toolvault serve --stdio | --http [--host H] [--port P]',
  options: {
    stdio: { type: 'boolean' },
    http: { type: 'boolean' },
    host: { type: 'string' },
    port: { type: 'string' },
  },
  async run(o) {
    if (Boolean(o['stdio']) === Boolean(o['http']))
      throw new Error('serve: choose exactly one of --stdio or --http');
    return withApp(o, async (app) => {
      if (o['stdio']) await serveStdio(app);
      else await serveHttp(app);
      return 0;
    });
  },
};
