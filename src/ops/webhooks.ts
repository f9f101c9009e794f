import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EventRow } from '../vault/types.js';
import { type Logger, SECRET_FIELDS } from '../log.js';

/**
 * Event delivery to an operator's endpoint: one JSON POST per event, in order, signed with HMAC-SHA256.
 *
 * Wire format (documented for receivers):
 * - body: `{"id","type","at","connectionId","userId","provider","fromState","toState","reason","detail",
 *   "sentAt"}`; `at` is ISO 8601, `sentAt` unix seconds (equal to the timestamp header, and signed with the
 *   body, so a receiver can refuse replays);
 * - `X-Toolvault-Signature: sha256=<hex HMAC-SHA256 of the raw body under the shared secret>`;
 * - `X-Toolvault-Timestamp: <sentAt>`, `X-Toolvault-Event: <type>`, `X-Toolvault-Delivery: <event id>`
 *   (stable across retries: receivers deduplicate on it).
 * A 2xx is delivered; 408, 429, 5xx and network failures are retried with capped exponential backoff and
 * jitter (Retry-After honoured, capped); other 4xx are final. Never a secret in a payload: event details hold
 * none by contract, and any field named like a credential is dropped on the way out all the same.
 * The queue is in memory: `toolvault events --follow` reads the store and is the durable feed.
 */

/** Where and what to deliver (TOOLVAULT_WEBHOOK_URL / _SECRET / _EVENTS, or `webhook` in the config file). */
export interface WebhookConfig {
  url: string;
  secret: string;
  /** Event types delivered; `all` for every one. */
  events: string[] | 'all';
}

export interface WebhookOptions {
  config: WebhookConfig;
  log: Logger;
  fetch?: typeof fetch;
  /** Attempts per event, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Events waiting beyond this are dropped, oldest first (and logged). */
  maxQueue?: number;
  random?: () => number;
  onOutcome?: (outcome: 'delivered' | 'retry' | 'rejected' | 'gave_up' | 'dropped') => void;
}

export const SIGNATURE_HEADER = 'x-toolvault-signature';
export const TIMESTAMP_HEADER = 'x-toolvault-timestamp';

/** `sha256=<hex>` of `body` under `secret`. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Checks a signature header in constant time (for receivers, and tests). */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The payload of an event; credential-named fields are dropped from `detail` at any depth. */
export function webhookPayload(e: EventRow, sentAt: number): Record<string, unknown> {
  return {
    id: e.id,
    type: e.type,
    at: new Date(e.at).toISOString(),
    connectionId: e.connectionId,
    userId: e.userId,
    provider: e.provider,
    fromState: e.fromState,
    toState: e.toState,
    reason: e.reason,
    detail: scrub(e.detail),
    sentAt,
  };
}

const SECRET_NAMES = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));

/** A copy without fields named like credentials, to any depth. */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!SECRET_NAMES.has(k.toLowerCase())) out[k] = scrub(v, depth + 1);
  }
  return out;
}

export class WebhookSender {
  readonly #queue: EventRow[] = [];
  #worker: Promise<void> | undefined;
  #closed = false;
  readonly #wakers = new Set<() => void>();

  constructor(private readonly o: WebhookOptions) {}

  /** Queues an event if its type is wanted (an EventListener); returns at once. */
  enqueue(e: EventRow): void {
    if (this.#closed) return;
    const wanted = this.o.config.events;
    if (wanted !== 'all' && !wanted.includes(e.type)) return;
    this.#queue.push(e);
    const max = this.o.maxQueue ?? 10_000;
    while (this.#queue.length > max) {
      const dropped = this.#queue.shift();
      this.o.onOutcome?.('dropped');
      this.o.log.error({ event: dropped?.id }, 'webhook queue full: dropped the oldest event');
    }
    this.#worker ??= this.#drain().finally(() => {
      this.#worker = undefined;
    });
  }

  /** Resolves once everything queued so far was delivered or given up. */
  async idle(): Promise<void> {
    while (this.#worker) await this.#worker;
  }

  /** Stops delivering: waits up to `graceMs` for the queue, then abandons retries in progress. */
  async close(graceMs = 2_000): Promise<void> {
    const done = this.idle();
    const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([done, timer]);
    this.#closed = true;
    for (const wake of this.#wakers) wake();
    await this.idle();
  }

  async #drain(): Promise<void> {
    for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift()) {
      await this.#deliver(e);
    }
  }

  async #deliver(e: EventRow): Promise<void> {
    const maxAttempts = this.o.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) return;
      const sentAt = Math.floor(Date.now() / 1000);
      const body = JSON.stringify(webhookPayload(e, sentAt));
      let status: number | null = null;
      let retryAfterMs: number | undefined;
      try {
        const res = await (this.o.fetch ?? fetch)(this.o.config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'toolvault-webhooks/1',
            [SIGNATURE_HEADER]: signBody(this.o.config.secret, body),
            [TIMESTAMP_HEADER]: String(sentAt),
            'x-toolvault-event': e.type,
            'x-toolvault-delivery': String(e.id),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        status = res.status;
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        this.o.log.warn({ event: e.id, attempt, err: (err as Error).name }, 'webhook delivery failed');
      }
      if (status !== null && status >= 200 && status < 300) {
        this.o.onOutcome?.('delivered');
        return;
      }
      const retryable = status === null || status === 408 || status === 429 || status >= 500;
      if (!retryable) {
        this.o.onOutcome?.('rejected');
        this.o.log.error({ event: e.id, status }, 'webhook endpoint rejected the event; not retrying');
        return;
      }
      if (attempt >= maxAttempts) {
        this.o.onOutcome?.('gave_up');
        this.o.log.error({ event: e.id, status, attempts: attempt }, 'webhook delivery gave up');
        return;
      }
      this.o.onOutcome?.('retry');
      await this.#sleep(this.#delay(attempt, retryAfterMs));
    }
  }

  /** Exponential from the base, capped, half fixed and half random; a longer Retry-After wins, capped too. */
  #delay(attempt: number, retryAfterMs?: number): number {
    const cap = this.o.maxDelayMs ?? 30_000;
    const ceiling = Math.min(cap, (this.o.baseDelayMs ?? 500) * 2 ** (attempt - 1));
    const backoff = ceiling / 2 + ((this.o.random ?? Math.random)() * ceiling) / 2;
    return Math.round(Math.max(backoff, Math.min(cap, retryAfterMs ?? 0)));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#wakers.add(wake);
    });
  }
}

function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const sec = Number(value);
  if (Number.isFinite(sec) && sec >= 0) return sec * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
