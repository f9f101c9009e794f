/**
 * A separate toolvault process for the cross-process refresh tests, run as
 * `node --import ./test/support/ts-register.mjs test/support/refresh-worker.ts <mode> <clockAt> <user> [n]`
 * with TOOLVAULT_HOME / TOOLVAULT_CONFIG / TOOLVAULT_MASTER_KEY naming a shared vault. It composes the real
 * Refresher and AccessBroker over that vault, with a clock that starts at `clockAt` (ms) and runs in real
 * time, so the parent decides whether tokens look expired without anyone sleeping.
 * - `calls`: prints `ready`, waits for a line on stdin, makes `n` concurrent calls (GET userinfo) through
 *   the AccessBroker, prints one JSON line of what happened and exits.
 * - `hold`: starts one refresh and prints `holding` once its token request is on the wire; then waits to be
 *   killed (the parent holds the request at the AS with the `timeout` fault).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AccessBroker } from '../../src/auth/access.js';
import { ConsentService } from '../../src/auth/consent/links.js';
import { OAuthClients } from '../../src/auth/oauth-client.js';
import { Refresher } from '../../src/auth/refresh/refresher.js';
import { Episodes } from '../../src/ops/episodes.js';
import { loadKeyRing } from '../../src/vault/master-key.js';
import { createSealer } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { Vault } from '../../src/vault/vault.js';
import { loadConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/log.js';
import { buildProviders } from '../../src/providers/registry.js';

const [mode, clockAtArg, user = 'local', nArg = '1'] = process.argv.slice(2);
if (mode === undefined || clockAtArg === undefined)
  throw new Error('usage: refresh-worker <mode> <clockAt> <user> [n]');
const realStart = Date.now();
const clockAt = Number(clockAtArg);
const clock = { now: () => clockAt + (Date.now() - realStart) };

const config = loadConfig(process.env);
const keys = await loadKeyRing({ home: config.home, env: process.env });
const store = openSqliteStore(join(config.home, 'vault.db'));
const vault = new Vault(store, await createSealer(keys.ring));
const providers = buildProviders(config);
const log = createLogger(process.env['WORKER_LOG_LEVEL'] ?? 'warn');

let tokenRequests = 0;
let onTokenRequest = (): void => undefined;
const wired: typeof fetch = (input, init) => {
  if (init?.method === 'POST' && init.body instanceof URLSearchParams && init.body.has('grant_type')) {
    tokenRequests++;
    onTokenRequest();
  }
  return fetch(input, init);
};
const oauth = new OAuthClients(providers, { fetch: wired });
const consent = new ConsentService({
  vault,
  providers,
  oauth,
  clock,
  log,
  publicUrl: () => config.publicUrl,
});
const episodes = new Episodes({ store: () => vault.store, clock, log });
const refresher = new Refresher({ vault, providers, oauth, clock, log, episodes, fetch: wired });
const access = new AccessBroker({
  vault,
  providers,
  consent,
  refresher,
  clock,
  log,
  skewSec: config.refreshSkewSec,
  fetch: wired,
});

const say = (line: string) => process.stdout.write(`${line}\n`);

if (mode === 'hold') {
  const row = await store.getConnection(user, 'demo');
  if (!row) throw new Error(`no connection for ${user}`);
  onTokenRequest = () => say(JSON.stringify({ holding: true, owner: refresher.owner }));
  void refresher.refresh(row.id, 'reactive', row.version);
  await new Promise(() => undefined);
} else {
  say('ready');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: Number(nArg) }, () =>
      access.call(user, 'demo', ['openid'], async (api) => (await api.request('GET', 'me')).status),
    ),
  );
  const failures = results.flatMap((r) =>
    r.ok ? [] : [r.failure.type === 'error' ? r.failure.kind : r.failure.type],
  );
  say(
    JSON.stringify({
      owner: refresher.owner,
      ok: results.filter((r) => r.ok && r.value === 200).length,
      failures,
      tokenRequests,
      ms: Math.round(performance.now() - started),
    }),
  );
  await store.close();
}
