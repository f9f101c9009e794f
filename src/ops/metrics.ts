import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { effectiveState } from '../auth/connections.js';
import { CONNECTION_STATES, type EventRow, type Store } from '../vault/types.js';
import type { Clock } from '../clock.js';
import type { ToolCallRecord } from './audit.js';

/**
 * Prometheus metrics at GET /metrics, in a registry of this app's own (several apps in one test process must
 * not share prom-client's global one). Counters move as things happen in this process: tool calls as they
 * finish, refreshes and alerts from the events the store reports. Gauges about connections are read from the
 * store at scrape time, so they are right across processes and after restarts. Labels carry providers, tools,
 * states and kinds, never a user id (unbounded, and personal) and never anything secret.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #toolCalls: Counter<'tool' | 'status' | 'kind'>;
  readonly #toolSeconds: Histogram<'tool'>;
  readonly #refreshes: Counter<'provider' | 'reason' | 'outcome'>;
  readonly #alerts: Counter<'provider' | 'reason'>;
  readonly #stateChanges: Counter<'provider' | 'to'>;
  readonly #webhooks: Counter<'outcome'>;

  constructor(
    private readonly d: {
      store: () => Store;
      clock: Clock;
      /** Configured provider ids: their gauges exist (at 0) before the first connection. */
      providers: () => string[];
    },
  ) {
    const registers = [this.registry];
    this.#toolCalls = new Counter({
      name: 'toolvault_tool_calls_total',
      help: 'Tool calls by tool and result (status ok|pending|connected|auth_required|error, and the error kind or auth reason)',
      labelNames: ['tool', 'status', 'kind'],
      registers,
    });
    this.#toolSeconds = new Histogram({
      name: 'toolvault_tool_call_duration_seconds',
      help: 'Tool call latency, from validated input to result, including refreshes and provider calls',
      labelNames: ['tool'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#refreshes = new Counter({
      name: 'toolvault_refresh_attempts_total',
      help: 'Token refresh attempts by provider, trigger (proactive|reactive|preflight|health|doctor) and outcome (ok or the error kind)',
      labelNames: ['provider', 'reason', 'outcome'],
      registers,
    });
    this.#alerts = new Counter({
      name: 'toolvault_alerts_total',
      help: 'Alerts raised, by provider and alert reason',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.#stateChanges = new Counter({
      name: 'toolvault_connection_state_changes_total',
      help: 'Connection state changes by provider and new state',
      labelNames: ['provider', 'to'],
      registers,
    });
    this.#webhooks = new Counter({
      name: 'toolvault_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered|retry|rejected|gave_up|dropped)',
      labelNames: ['outcome'],
      registers,
    });
    this.#connectionGauges(registers);
  }

  toolCall(r: ToolCallRecord): void {
    this.#toolCalls.inc({ tool: r.tool, status: r.status, kind: r.kind ?? '' });
    this.#toolSeconds.observe({ tool: r.tool }, r.durationMs / 1000);
  }

  /** An event the store just wrote (an EventListener). */
  observeEvent(e: EventRow): void {
    const provider = e.provider ?? '';
    switch (e.type) {
      case 'refreshed':
        this.#refreshes.inc({ provider, reason: e.reason ?? '', outcome: 'ok' });
        break;
      case 'refresh_failed':
        this.#refreshes.inc({
          provider,
          reason: e.reason ?? '',
          outcome: str(e.detail['kind']) || 'unknown',
        });
        break;
      case 'alert':
        this.#alerts.inc({ provider, reason: e.reason ?? '' });
        break;
      case 'state_changed':
        if (e.toState) this.#stateChanges.inc({ provider, to: e.toState });
        // A refresh the provider rejected, proven by a failed probe, ends here rather than in refresh_failed.
        if (e.reason === 'refresh_rejected_and_probe_failed')
          this.#refreshes.inc({ provider, reason: str(e.detail['trigger']), outcome: 'revoked' });
        break;
    }
  }

  webhook(outcome: 'delivered' | 'retry' | 'rejected' | 'gave_up' | 'dropped'): void {
    this.#webhooks.inc({ outcome });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  #connectionGauges(registers: Registry[]): void {
    // One store read per scrape feeds the three gauges; each collect() asks for the snapshot of this scrape.
    let snapshot: Promise<Snapshot> | undefined;
    const read = (): Promise<Snapshot> => {
      snapshot ??= this.#snapshot().finally(() => setImmediate(() => (snapshot = undefined)));
      return snapshot;
    };
    new Gauge({
      name: 'toolvault_connections',
      help: 'Connections by provider and state (refreshing while a refresh lease is held)',
      labelNames: ['provider', 'state'],
      registers,
      async collect() {
        const s = await read();
        this.reset();
        for (const [provider, states] of s.byState)
          for (const [state, n] of states) this.set({ provider, state }, n);
      },
    });
    new Gauge({
      name: 'toolvault_oldest_token_age_seconds',
      help: 'Age of the oldest access token among usable connections, by provider',
      labelNames: ['provider'],
      registers,
      async collect() {
        const s = await read();
        this.reset();
        for (const [provider, age] of s.oldestTokenSec) this.set({ provider }, age);
      },
    });
    new Gauge({
      name: 'toolvault_seconds_since_last_refresh',
      help: 'Seconds since the last successful refresh of any connection of the provider (absent: never)',
      labelNames: ['provider'],
      registers,
      async collect() {
        const s = await read();
        this.reset();
        for (const [provider, age] of s.sinceRefreshSec) this.set({ provider }, age);
      },
    });
  }

  async #snapshot(): Promise<Snapshot> {
    const now = this.d.clock.now();
    const rows = await this.d.store().listConnections();
    const s: Snapshot = { byState: new Map(), oldestTokenSec: new Map(), sinceRefreshSec: new Map() };
    const providers = new Set([...this.d.providers(), ...rows.map((r) => r.provider)]);
    for (const p of providers) s.byState.set(p, new Map(CONNECTION_STATES.map((st) => [st, 0])));
    const lastRefresh = new Map<string, number>();
    for (const r of rows) {
      const states = s.byState.get(r.provider)!;
      const state = effectiveState(r, now);
      states.set(state, (states.get(state) ?? 0) + 1);
      if ((r.state === 'healthy' || r.state === 'scope_update_required') && r.accessIssuedAt !== null) {
        const age = Math.max(0, (now - r.accessIssuedAt) / 1000);
        s.oldestTokenSec.set(r.provider, Math.max(age, s.oldestTokenSec.get(r.provider) ?? 0));
      }
      if (r.lastRefreshAt !== null)
        lastRefresh.set(r.provider, Math.max(r.lastRefreshAt, lastRefresh.get(r.provider) ?? 0));
    }
    for (const [p, at] of lastRefresh) s.sinceRefreshSec.set(p, Math.max(0, (now - at) / 1000));
    return s;
  }
}

interface Snapshot {
  byState: Map<string, Map<string, number>>;
  oldestTokenSec: Map<string, number>;
  sinceRefreshSec: Map<string, number>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** GET /metrics: Prometheus text. */
export function metricsHandler(m: Metrics): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' || (req.path !== '/' && req.path !== '')) return next();
    m.scrape().then(
      ({ contentType, text }) => res.type(contentType).send(text),
      (err: unknown) => next(err),
    );
  };
}
