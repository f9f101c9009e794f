/**
 * How long a provider asked us to wait. Lives in `providers` because declarations read it while inspecting
 * API responses; `auth/classify.ts` re-exports it for token endpoint failures.
 */

/** Response headers in either form: a fetch `Headers` or a plain record (lower- or mixed-case keys). */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Values above this are epoch seconds (GitHub `x-ratelimit-reset`), below it a delay (IETF `ratelimit-reset`). */
const EPOCH_THRESHOLD = 1_000_000_000;

function fromResetValue(raw: string, now: number): number | undefined {
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n >= EPOCH_THRESHOLD) return Math.max(0, Math.ceil(n - now / 1000));
  return Math.ceil(n);
}

/**
 * Seconds to wait before trying again, from `Retry-After` (delay-seconds or HTTP-date, RFC 9110 §10.2.3),
 * else GitHub's `x-ratelimit-reset` (epoch seconds) or the IETF draft `ratelimit-reset` (delay). Returns the
 * raw value, uncapped: callers cap it (DESIGN: backoff is capped at 60 s). Undefined when nothing parses.
 * Only meaningful on a response already known to be rate limited: GitHub sends `x-ratelimit-reset` always.
 */
export function retryAfterSeconds(headers: HeaderSource | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - now) / 1000));
  }
  for (const name of ['x-ratelimit-reset', 'ratelimit-reset']) {
    const raw = header(headers, name);
    if (raw === undefined) continue;
    const seconds = fromResetValue(raw, now);
    if (seconds !== undefined) return seconds;
  }
  return undefined;
}
