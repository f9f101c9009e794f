import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandler } from 'express';
import { AccessBroker } from '../auth/access.js';
import { alertRules, clientSecretSwitchEvents } from '../ops/alerts.js';
import { ConnectionChecker } from '../auth/refresh/checks.js';
import { ConnectionService } from '../auth/connections.js';
import { ConsentService } from '../auth/consent/links.js';
import { CorrelatedRefresher } from '../auth/refresh/correlated-refresher.js';
import { Episodes } from '../ops/episodes.js';
import { ExpiryWatch } from '../ops/expiry-watch.js';
import { HealthMonitor } from '../ops/heartbeat.js';
import { IdempotencyService } from '../auth/idempotency.js';
import { IdleWatch } from '../ops/idle-watch.js';
import { OAuthClients } from '../auth/oauth-client.js';
import { OperatorActions } from '../ops/operator-actions.js';
import type { Refresher } from '../auth/refresh/refresher.js';
import { RefreshScheduler } from '../auth/refresh/scheduler.js';
import { KeyFileSealer } from '../vault/key-file-sealer.js';
import { loadKeyRing } from '../vault/master-key.js';
import { type EventListener, observeStore } from '../vault/observed.js';
import { boundUrl, listenWeb } from './listener.js';
import { openStore } from './open-store.js';
import { createSealer } from '../vault/seal.js';
import { Vault } from '../vault/vault.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from '../log.js';
import { buildProviders } from '../providers/registry.js';
import type { ConfiguredProvider } from '../providers/types.js';
import type { ToolServices } from '../tools/kit/define.js';
import { toolsFor } from '../tools/registry.js';
import { adminRouter } from '../server/web/admin.js';
import { toolCallRecorder } from '../ops/audit.js';
import { createDemo, type Demo } from '../server/web/demo.js';
import { createMcpServer, type McpRuntime } from '../server/mcp.js';
import { Metrics, metricsHandler } from '../ops/metrics.js';
import { WebhookSender } from '../ops/webhooks.js';
import { createWebApp, finishWebApp } from '../server/web/web.js';
import type { People } from '../server/web/people.js';
import { buildPeople } from './people.js';
import { VERSION } from '../version.js';

/** The composition root: one place that builds every part from the configuration. */

export { VERSION } from '../version.js';

export interface AppOptions {
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
  /** Jitter source for due times and backoff; tests pass a seeded one so long simulations replay exactly. */
  random?: () => number;
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
  /** The periodic health check and heartbeat log line; started with the scheduler by `serve`. */
  health: HealthMonitor;
  oauth: OAuthClients;
  web: ReturnType<typeof createWebApp>;
  /** Prometheus metrics (GET /metrics), in this app's own registry. */
  metrics: Metrics;
  /** Signed event delivery, when a webhook URL is configured. */
  webhooks: WebhookSender | undefined;
  /** The flat-line alert (seed 004); started with the scheduler by `serve`. */
  idleWatch: IdleWatch;
  /** Disable, enable, reconnect link: what /admin offers. */
  operator: OperatorActions;
  /** Sessions, sign-in and the proof asked of the person finishing a link (server/web/people.ts). */
  people: People;
  /** Hosted mode: any API key, a JWT issuer, or a public URL off loopback. */
  hosted(): Promise<boolean>;
  publicUrl(): string;
  /** Starts the web listener; resolves to its URL, or null when the port was taken (logged). */
  listen(opts?: { tolerateInUse?: boolean }): Promise<string | null>;
  /**
   * A new MCP server. `userOf` names the caller of each request from its auth info (HTTP: what the identity
   * middleware put on `req.auth`); the default serves the configured local user (stdio).
   */
  newMcpServer(userOf?: (authInfo: { extra?: Record<string, unknown> } | undefined) => string): Server;
  /** What MCP tool calls need from this app (for a server created before the app, see stdio.ts). */
  runtime(): McpRuntime;
  /** Writes the audit rows of calls that just finished (they are written right after each result). */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const keys = await loadKeyRing({ home: config.home, env: opts.env ?? process.env });
  for (const w of keys.warnings) log.warn(w);
  if (keys.created) log.info({ path: keys.path }, 'created a new master key; back it up');
  const fixedSealer = await createSealer(keys.ring);
  // A key file is followed while serving, so `toolvault keys rotate` needs no restart (key-file-sealer.ts).
  const sealer =
    keys.source === 'file' && keys.path ? new KeyFileSealer(keys.path, keys.ring, log) : fixedSealer;
  // Every event written through the store reaches metrics, webhooks and the alert rules (observed.ts).
  const listeners: EventListener[] = [];
  const store = observeStore(
    await openStore({
      home: config.home,
      databaseUrl: config.databaseUrl,
      onError: (err) => log.warn({ err: err.message }, 'database connection error'),
    }),
    listeners,
    log,
  );
  const vault = new Vault(store, sealer);
  // A PostgreSQL pool left open would keep a failed start-up from exiting.
  await vault.assertKeysPresent().catch(async (err: unknown) => {
    await store.close();
    throw err;
  });

  const providers = buildProviders(config);
  const oauth = new OAuthClients(providers, {
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    onClientSecretSwitch: async (e) => {
      log.error({ provider: e.provider, using: e.now, grantType: e.grantType }, 'client secret switched');
      for (const event of clientSecretSwitchEvents(e, clock.now())) await store.appendEvent(event);
    },
  });
  let publicUrl = config.publicUrl;
  const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
  const consent = new ConsentService({
    vault,
    providers,
    oauth,
    clock,
    log,
    publicUrl: () => publicUrl,
    renewBeforeMs: config.expiryWarningDays * 24 * 3_600_000,
    ...fetchOpt,
    ...(opts.random ? { random: opts.random } : {}),
  });
  const connections = new ConnectionService({ vault, providers, oauth, clock, log, ...fetchOpt });
  // Alert episodes (one alert per episode, `recovered` at its end), shared by every part that raises them.
  const episodes = new Episodes({ store: () => store, clock, log });
  const refresher: Refresher = new CorrelatedRefresher({
    vault,
    providers,
    oauth,
    clock,
    log,
    episodes,
    ...fetchOpt,
    ...(opts.random ? { random: opts.random } : {}),
  });
  const access = new AccessBroker({
    vault,
    providers,
    consent,
    refresher,
    clock,
    log,
    skewSec: config.refreshSkewSec,
    episodes,
    ...fetchOpt,
  });
  const checker = new ConnectionChecker({ vault, providers, refresher, clock, log, ...fetchOpt });
  const scheduler = new RefreshScheduler({ store, refresher, clock, log, checker, episodes });
  const expiry = new ExpiryWatch({
    store: () => store,
    episodes,
    clock,
    log,
    warnMs: config.expiryWarningDays * 24 * 3_600_000,
  });
  const health = new HealthMonitor({
    vault,
    providers,
    refresher,
    clock,
    log,
    scheduler,
    expiry,
    // Expired sign-in sessions, single-use tickets and held grants are worth nothing: drop them.
    housekeeping: () => store.purgeWeb(clock.now()),
    ...fetchOpt,
  });
  const idempotency = new IdempotencyService({ store, clock, log });
  const services: ToolServices = { consent, connections, access, idempotency };

  const metrics = new Metrics({ store: () => store, clock, providers: () => [...providers.keys()] });
  const webhooks = config.webhook
    ? new WebhookSender({
        config: config.webhook,
        log,
        ...fetchOpt,
        onOutcome: (o) => metrics.webhook(o),
      })
    : undefined;
  listeners.push((e) => metrics.observeEvent(e));
  if (webhooks) listeners.push((e) => webhooks.enqueue(e));
  listeners.push(alertRules(() => store, log, episodes));
  const recordToolCall = toolCallRecorder({ store: () => store, log, metrics });
  const idleWatch = new IdleWatch({ store, clock, log, windowMs: config.idleAlertSec * 1000, episodes });
  const operator = new OperatorActions({ store: () => store, consent, clock, log });

  const {
    people,
    hosted,
    warn: warnAboutVerification,
  } = buildPeople({
    config,
    store: () => store,
    clock,
    log,
    publicUrl: () => publicUrl,
    ...fetchOpt,
  });

  let demo: Demo | undefined;
  const demoHandler: RequestHandler = (req, res, next) => (demo ? demo.handler(req, res, next) : next());
  const web = createWebApp({
    consent,
    people,
    publicUrl: () => publicUrl,
    extraOrigins: config.http.allowedOrigins,
    log,
    health: async () => ({ version: VERSION, providers: [...providers.keys()] }),
    mounts: [
      { path: '/demo', handler: demoHandler },
      { path: '/metrics', handler: metricsHandler(metrics) },
      {
        path: '/admin',
        handler: adminRouter({
          adminKey: config.adminKey,
          store: () => store,
          actions: operator,
          clock,
          log,
          publicUrl: () => publicUrl,
          providerName: (id) => providers.get(id)?.declaration.displayName ?? id,
        }),
      },
    ],
  });
  let http: HttpServer | undefined;

  let ready: Promise<unknown> = Promise.resolve();
  const runtime: McpRuntime = {
    services,
    log,
    onToolCall: (r) => recordToolCall.record(r),
    now: () => clock.now(),
  };
  const listenNow = async ({
    tolerateInUse = false,
  }: {
    tolerateInUse?: boolean;
  }): Promise<string | null> => {
    finishWebApp(web, log);
    const server = await listenWeb(web, config, log, tolerateInUse);
    if (!server) return null;
    http = server;
    if (config.publicUrlDefaulted) publicUrl = boundUrl(config.host, (server.address() as AddressInfo).port);
    if (config.demo && !providers.has('demo')) {
      demo = await createDemo(publicUrl);
      providers.set('demo', demo.provider);
    }
    log.info({ url: publicUrl }, 'web listener ready');
    await warnAboutVerification();
    return publicUrl;
  };

  const app: App = {
    config,
    log,
    clock,
    vault,
    providers,
    services,
    refresher,
    scheduler,
    health,
    oauth,
    web,
    metrics,
    webhooks,
    idleWatch,
    operator,
    people,
    hosted,
    publicUrl: () => publicUrl,
    listen(opts = {}) {
      const listening = listenNow(opts);
      // Tool calls wait for this (connect links need the bound URL and the demo provider); tools/list does not.
      ready = listening.catch(() => undefined);
      return listening;
    },
    newMcpServer(userOf = () => config.user) {
      return createMcpServer({
        tools: toolsFor(providers.values()),
        toolNames: config.toolNames,
        version: VERSION,
        userOf: (authInfo) => userOf(authInfo),
        runtime: async () => {
          await ready;
          return runtime;
        },
      });
    },
    runtime: () => runtime,

    flushAudit: () => recordToolCall.flush(),
    async close() {
      await scheduler.stop();
      await health.stop();
      await idleWatch.stop();
      await recordToolCall.flush();
      await webhooks?.close();
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http?.close(() => resolve()));
      }
      await store.close();
    },
  };
  return app;
}
