import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandler } from 'express';
import { AccessBroker } from '../auth/access.js';
import { ConnectionService } from '../auth/connections.js';
import { ConsentService } from '../auth/consent.js';
import { IdempotencyService } from '../auth/idempotency.js';
import { OAuthClients } from '../auth/oauth-client.js';
import { Refresher } from '../auth/refresh.js';
import { RefreshScheduler } from '../auth/scheduler.js';
import { loadKeyRing } from '../auth/store/master-key.js';
import { createSealer } from '../auth/store/seal.js';
import { openSqliteStore } from '../auth/store/sqlite.js';
import { Vault } from '../auth/store/vault.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { buildProviders } from '../providers/registry.js';
import type { ConfiguredProvider } from '../providers/types.js';
import type { ToolServices } from '../tools/define.js';
import { TOOLS } from '../tools/registry.js';
import { createDemo, type Demo } from './demo.js';
import { createMcpServer } from './mcp.js';
import { createWebApp, finishWebApp } from './web.js';

/** The composition root: one place that builds every part from the configuration. */

export const VERSION = '0.1.0';

export interface AppOptions {
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface App {
  config: Config;
  log: Logger;
  clock: Clock;
  vault: Vault;
  providers: Map<string, ConfiguredProvider>;
  services: ToolServices;
  refresher: Refresher;
  scheduler: RefreshScheduler;
  web: ReturnType<typeof createWebApp>;
  publicUrl(): string;
  /** Starts the web listener; resolves to its URL, or null when the port was taken (logged). */
  listen(opts?: { tolerateInUse?: boolean }): Promise<string | null>;
  newMcpServer(userOf?: () => string): Server;
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const keys = await loadKeyRing({ home: config.home, env: opts.env ?? process.env });
  for (const w of keys.warnings) log.warn(w);
  if (keys.created) log.info({ path: keys.path }, 'created a new master key; back it up');
  const sealer = await createSealer(keys.ring);
  const store = openSqliteStore(join(config.home, 'vault.db'));
  const vault = new Vault(store, sealer);
  await vault.assertKeysPresent();

  const providers = buildProviders(config);
  const oauth = new OAuthClients(providers, opts.fetch ? { fetch: opts.fetch } : {});
  let publicUrl = config.publicUrl;
  const consent = new ConsentService({ vault, providers, oauth, clock, log, publicUrl: () => publicUrl });
  const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
  const connections = new ConnectionService({ vault, providers, oauth, clock, log, ...fetchOpt });
  const refresher = new Refresher({ vault, providers, oauth, clock, log, ...fetchOpt });
  const access = new AccessBroker({
    vault,
    providers,
    consent,
    refresher,
    clock,
    log,
    skewSec: config.refreshSkewSec,
    ...fetchOpt,
  });
  const scheduler = new RefreshScheduler({ store, refresher, clock, log });
  const idempotency = new IdempotencyService({ store, clock, log });
  const services: ToolServices = { consent, connections, access, idempotency };

  let demo: Demo | undefined;
  const demoHandler: RequestHandler = (req, res, next) => (demo ? demo.handler(req, res, next) : next());
  const web = createWebApp({
    consent,
    log,
    health: async () => ({ version: VERSION, providers: [...providers.keys()] }),
    mounts: [{ path: '/demo', handler: demoHandler }],
  });
  let http: HttpServer | undefined;

  const app: App = {
    config,
    log,
    clock,
    vault,
    providers,
    services,
    refresher,
    scheduler,
    web,
    publicUrl: () => publicUrl,
    async listen({ tolerateInUse = false } = {}) {
      finishWebApp(web, log);
      const server = createServer(web);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.port, config.host, () => resolve());
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (tolerateInUse && (code === 'EADDRINUSE' || code === 'EACCES')) {
          log.error(
            { host: config.host, port: config.port, code },
            'web listener unavailable: tools keep working, but connect links need another port (TOOLVAULT_PORT)',
          );
          return null;
        }
        throw err;
      }
      http = server;
      const port = (server.address() as AddressInfo).port;
      if (config.publicUrlDefaulted) {
        const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      }
      if (config.demo && !providers.has('demo')) {
        demo = createDemo(publicUrl);
        providers.set('demo', demo.provider);
      }
      log.info({ url: publicUrl }, 'web listener ready');
      return publicUrl;
    },
    newMcpServer(userOf = () => config.user) {
      return createMcpServer({
        tools: TOOLS,
        toolNames: config.toolNames,
        services,
        log,
        version: VERSION,
        userOf: () => userOf(),
      });
    },
    async close() {
      await scheduler.stop();
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http?.close(() => resolve()));
      }
      await store.close();
    },
  };
  return app;
}
