import type { ApiKeyRow } from '../vault/types.js';
import { ApiKeys } from '../server/api-keys.js';
import type { App } from '../app/app.js';
import { type Command, say, withApp } from './command.js';

/**
 * `toolvault apikeys create --user U [--name N] | list [--user U] [--json] | revoke ID` — credentials for HTTP
 * callers. `create` prints the key alone on stdout (scripts capture it; it is never shown again) and notes on
 * stderr. Lists never show more than the public id.
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function view(k: ApiKeyRow) {
  return {
    id: k.id,
    user: k.userId,
    name: k.name,
    createdAt: iso(k.createdAt),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

async function run(app: App, sub: string | undefined, arg: string | undefined, o: Record<string, unknown>) {
  const keys = new ApiKeys({ store: app.vault.store, clock: app.clock, log: app.log });
  switch (sub) {
    case 'create': {
      if (typeof o['user'] !== 'string') throw new Error('apikeys create: --user U is required');
      const { key, row } = await keys.create(
        o['user'],
        typeof o['name'] === 'string' ? o['name'] : undefined,
      );
      process.stdout.write(`${key}\n`);
      say(`Created API key ${row.id} for user "${row.userId}". It is shown only this once: store it now.`);
      say(`Send it as "Authorization: Bearer <key>"; revoke it with: toolvault apikeys revoke ${row.id}`);
      return 0;
    }
    case 'list': {
      const rows = await keys.list(typeof o['user'] === 'string' ? o['user'] : undefined);
      if (o['json']) {
        process.stdout.write(`${JSON.stringify({ keys: rows.map(view) }, null, 2)}\n`);
        return 0;
      }
      if (rows.length === 0) {
        say('No API keys. Create one with: toolvault apikeys create --user U');
        return 0;
      }
      for (const k of rows.map(view)) {
        const status = k.revokedAt ? `revoked ${k.revokedAt}` : 'active';
        process.stdout.write(
          `${k.id}  ${k.user.padEnd(16)} ${status.padEnd(33)} created ${k.createdAt}  last used ${k.lastUsedAt ?? 'never'}${k.name ? `  ${k.name}` : ''}\n`,
        );
      }
      return 0;
    }
    case 'revoke': {
      if (!arg) throw new Error('apikeys revoke: name the key id (see toolvault apikeys list)');
      const before = await app.vault.store.getApiKey(arg);
      const row = await keys.revoke(arg);
      if (!row) throw new Error(`apikeys revoke: no API key with id "${arg}"`);
      if (before !== null && before.revokedAt !== null)
        say(`API key ${row.id} was already revoked at ${iso(row.revokedAt)}.`);
      else say(`Revoked API key ${row.id} (user "${row.userId}"); requests with it now get 401.`);
      return 0;
    }
    default:
      throw new Error(`apikeys: expected create, list or revoke${sub ? `, got "${sub}"` : ''}`);
  }
}

export const apikeys: Command = {
  name: 'apikeys',
  usage: 'toolvault apikeys create --user U [--name N] | list [--user U] [--json] | revoke ID',
  options: { user: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
  // --user names the key's owner here, not the local user: keep it out of openApp's options.
  run: (o, positionals) => withApp({}, (app) => run(app, positionals[0], positionals[1], o)),
};
