import { viewConnection } from '../auth/connections.js';
import type { App } from '../app/app.js';
import { type Command, withApp } from './command.js';

async function showStatus(app: App, o: Record<string, string | boolean | undefined>): Promise<number> {
  const rows = await app.vault.store.listConnections({ userId: app.config.user });
  const now = app.clock.now();
  const views = rows.map((r) => viewConnection(r, now));
  if (o['json']) {
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

export const status: Command = {
  name: 'status',
  usage: 'toolvault status [--user U] [--json]',
  options: { user: { type: 'string' }, json: { type: 'boolean' } },
  run: (o) => withApp(o, (app) => showStatus(app, o)),
};
