import type { App } from '../app/app.js';
import { serveStdio } from '../app/stdio.js';
import { type Command, configFor, say, withApp } from './command.js';

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function serveHttp(app: App): Promise<void> {
  // Loaded only for HTTP: identity (jose), rate limits and sessions cost stdio start-up for nothing.
  const { mountHosted } = await import('../app/hosted.js');
  const handle = mountHosted(app);
  const url = await app.listen();
  app.scheduler.start();
  app.health.start();
  app.idleWatch.start();
  say(`toolvault is running (user "${app.config.user}", vault ${app.config.home}).`);
  say(`  MCP endpoint:  ${url}/mcp${app.config.http.stateless ? ' (stateless)' : ''}`);
  say(`  Callers:       ${await handle.describeAuth()}`);
  say(`  Claude Code:   claude mcp add --transport http toolvault ${url}/mcp`);
  if (app.config.demo && (await app.hosted())) {
    // A link printed here would reach logs that others read, and finish for whoever opens it first.
    say('  Demo provider: an agent gets its connect link from auth_start.');
  } else if (app.config.demo) {
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
    // stdout belongs to the protocol: a library's console.log/info (oidc-provider prints notices that way)
    // would corrupt the JSON-RPC stream, so route them to stderr before anything is loaded or started.
    if (o['stdio']) {
      console.log = console.error; // eslint-disable-line no-console
      console.info = console.error; // eslint-disable-line no-console
      console.debug = console.error; // eslint-disable-line no-console
    }
    if (o['stdio']) {
      await serveStdio(configFor(o));
      return 0;
    }
    return withApp(o, async (app) => {
      await serveHttp(app);
      return 0;
    });
  },
};
