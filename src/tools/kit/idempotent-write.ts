import { providerSignalOf } from '../../auth/access.js';
import { type WriteOutcome, WriteNotSentError } from '../../auth/idempotency.js';
import type { ApiClient } from '../../providers/api-client.js';
import type { ApiSignal } from '../../providers/types.js';
import type { ToolContext } from './define.js';
import { errorResult, okResult, type ToolResult } from './result.js';

/**
 * A provider write, optionally under the agent's idempotency key (DESIGN: a write is retried only when the
 * provider provably did not act, or under an idempotency key). Nothing here retries: the broker already
 * retried what provably did not reach the provider; the rest is the agent's call, told plainly.
 */

/** Error kinds that prove the provider refused the write, so it did not act. */
const REFUSED = new Set([
  'rate_limited',
  'not_found',
  'invalid_request',
  'forbidden',
  'config_error',
  'disabled',
  'missing_scope',
  'revoked',
  'expired_access',
]);

/** What the write's requests ran into, seen through {@link track}. */
interface Trace {
  sent: boolean;
  /** The signal that ended the last request, if one did (the broker may have refreshed and re-run). */
  lastSignal: ApiSignal | null;
}

/** An API client that records, for the judge, whether a request went out and what stopped it. */
function track(api: ApiClient, trace: Trace): ApiClient {
  return {
    async request(method, path, options) {
      trace.sent = true;
      trace.lastSignal = null;
      try {
        return await api.request(method, path, options);
      } catch (err) {
        trace.lastSignal = providerSignalOf(err);
        throw err;
      }
    },
  };
}

export interface WriteTexts {
  /** Display name of the provider, e.g. `GitHub`. */
  provider: string;
  /** e.g. `the issue`: "GitHub did not confirm creating the issue". */
  thing: string;
  /** e.g. `creating`. */
  verb: string;
  /** How the agent can check whether the write happened, e.g. "search with github.searchIssues". */
  howToCheck: string;
  /** The text of a replayed result (writes under a key). */
  replay?: (result: Record<string, unknown>, firstAt: string) => string;
}

/**
 * Judges a finished write. Nothing sent (auth_required before the call, a failed preflight refresh): it did
 * not act. A last request stopped by a credential signal (401, missing scope, rate limit) or by a network
 * error that provably never reached the provider: it did not act, whatever the refresh after it said.
 */
function judge(result: ToolResult, trace: Trace): WriteOutcome<ToolResult>['outcome'] {
  const s = result.structured;
  if (s.status === 'ok') return 'done';
  if (!trace.sent || s.status === 'auth_required') return 'not_acted';
  const signal = trace.lastSignal;
  if (signal) return signal.kind !== 'transient' || signal.neverReached ? 'not_acted' : 'uncertain';
  return typeof s['kind'] === 'string' && REFUSED.has(s['kind']) ? 'not_acted' : 'uncertain';
}

/** The broker's transient message says "may be retried"; for a write the agent must hear it may have acted. */
function mayHaveActed(result: ToolResult, t: WriteTexts, keyed: boolean): ToolResult {
  const s = result.structured;
  const message =
    `${t.provider} did not confirm ${t.verb} ${t.thing}: it may or may not ` +
    `exist now. toolvault did not retry, to avoid a duplicate. Before trying again, ${t.howToCheck}` +
    (keyed ? '; if it is not there, retry with a new idempotencyKey.' : '.');
  return errorResult(s.kind ?? 'unknown', message, {
    retryable: s['retryable'] === true,
    ...(typeof s['retryAfterSeconds'] === 'number' ? { retryAfterSeconds: s['retryAfterSeconds'] } : {}),
    ...(typeof s['provider'] === 'string' ? { provider: s['provider'] } : {}),
  });
}

/**
 * Runs `write`, which sends its requests through `track(api)` so the outcome can be judged. With a `key`
 * (already namespaced by tool), a repeat of the key within its TTL gets the first result instead of a
 * second write; a concurrent repeat waits for the first, briefly.
 */
export async function idempotentWrite(
  ctx: ToolContext,
  key: string | undefined,
  texts: WriteTexts,
  write: (track: (api: ApiClient) => ApiClient) => Promise<ToolResult>,
): Promise<ToolResult> {
  const attempt = async (): Promise<WriteOutcome<ToolResult>> => {
    const trace: Trace = { sent: false, lastSignal: null };
    let result: ToolResult;
    try {
      result = await write((api) => track(api, trace));
    } catch (err) {
      // Nothing left toolvault (e.g. the consent store failed): the key must not stay blocked.
      throw trace.sent ? err : new WriteNotSentError(err);
    }
    const outcome = judge(result, trace);
    if (outcome === 'done') return { outcome, value: result, result: result.structured };
    if (outcome === 'uncertain') return { outcome, value: mayHaveActed(result, texts, key !== undefined) };
    return { outcome, value: result };
  };
  if (key === undefined) {
    try {
      return (await attempt()).value;
    } catch (err) {
      throw err instanceof WriteNotSentError ? err.cause : err;
    }
  }

  const g = await ctx.services.idempotency.once(ctx.userId, key, attempt, ctx.signal);
  switch (g.type) {
    case 'fresh':
      return g.value;
    case 'replay': {
      const { status: _status, ...fields } = g.result;
      const firstAt = new Date(g.firstAt).toISOString();
      const text = texts.replay?.(g.result, firstAt) ?? `Already done for this idempotencyKey at ${firstAt}.`;
      return okResult(text, { ...fields, idempotentReplay: true });
    }
    case 'in_progress':
      return errorResult(
        'in_progress',
        `Another call with this idempotencyKey is still ${texts.verb} ${texts.thing}; call again with the ` +
          `same key in ${g.retryAfterSeconds} s to get its result.`,
        { retryable: true, retryAfterSeconds: g.retryAfterSeconds },
      );
    case 'uncertain':
      return errorResult(
        'outcome_unknown',
        `An earlier call with this idempotencyKey (at ${new Date(g.firstAt).toISOString()}) got no clear ` +
          `answer, so ${texts.thing} may or may not exist. toolvault will not risk a duplicate under this key: ` +
          `${texts.howToCheck}; if it is not there, retry with a new idempotencyKey.`,
        { retryable: false },
      );
  }
}
