import { LINK_TTL_MS } from '../auth/consent/links.js';
import type { App } from '../app/app.js';
import { demoDeclaration } from '../server/web/demo.js';
import { type Command, say, withApp } from './command.js';

async function connectProvider(
  app: App,
  provider: string | undefined,
  o: Record<string, string | boolean | undefined>,
): Promise<number> {
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
  const scopes =
    typeof o['scopes'] === 'string'
      ? o['scopes']
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
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

export const connect: Command = {
  name: 'connect',
  usage: 'toolvault connect PROVIDER [--user U] [--scopes a,b]',
  options: {
    user: { type: 'string' },
    scopes: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
  },
  run: (o, positionals) => withApp(o, (app) => connectProvider(app, positionals[0], o)),
};
