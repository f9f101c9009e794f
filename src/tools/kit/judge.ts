import type { WriteOutcomeKind } from '../../contract.js';
import type { KeyTaken } from '../../auth/idempotency.js';
import type { AccessResult, WireLog } from '../../auth/provider-api.js';
import type { WriteSpec } from './define.js';
import { errorResult, okResult, type ToolResult } from './result.js';

/**
 * Judging a finished write (DESIGN: a write is retried only when the provider provably did not act, or
 * under an idempotency key). Nothing here retries: the API client already resent what provably did not
 * reach the provider; the rest is the agent's call, told plainly.
 */

/**
 * How a write ended. The tool reported success: done. Otherwise the API client's record decides: nothing
 * reached the provider, or the last request was refused (a 4xx, a credential signal, a rate limit) or
 * provably never left: it did not act, whatever a refresh after it said. A 5xx, a timeout or a lost
 * response after sending: it may have acted.
 */
export function judgeWrite(ran: AccessResult<ToolResult>, wire: Readonly<WireLog>): WriteOutcomeKind {
  if (ran.ok && ran.value.structured.status === 'ok') return 'done';
  const last = wire.last;
  if (wire.reached === 0 || last === null) return 'not_acted';
  if (last.ended === 'stopped') {
    const s = last.signal;
    return s.kind === 'transient' && !s.neverReached ? 'uncertain' : 'not_acted';
  }
  // Answered without a refusal, yet the tool did not report success: it cannot say what happened.
  return last.refused ? 'not_acted' : 'uncertain';
}

/** A write that may have acted: the agent must hear so, and check before trying again. */
export function mayHaveActed(
  ran: AccessResult<ToolResult>,
  provider: string,
  w: WriteSpec,
  keyed: boolean,
): ToolResult {
  const message =
    `${w.provider} did not confirm ${w.verb} ${w.thing}: it may or may not ` +
    `exist now. toolvault did not retry, to avoid a duplicate. Before trying again, ${w.howToCheck}` +
    (keyed ? '; if it is not there, retry with a new idempotencyKey.' : '.');
  const f = ran.ok ? undefined : ran.failure;
  if (!f || f.type !== 'error') return errorResult('unknown', message, { provider });
  return errorResult(f.kind, message, {
    retryable: f.retryable,
    provider,
    ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}),
  });
}

/** The answer to a call whose key an earlier call holds or used. */
export function keyTakenResult(taken: KeyTaken, w: WriteSpec): ToolResult {
  switch (taken.type) {
    case 'replay': {
      const { status: _status, ...fields } = taken.result;
      const firstAt = new Date(taken.firstAt).toISOString();
      const text = w.replay?.(taken.result, firstAt) ?? `Already done for this idempotencyKey at ${firstAt}.`;
      return okResult(text, { ...fields, idempotentReplay: true });
    }
    case 'in_progress':
      return errorResult(
        'in_progress',
        `Another call with this idempotencyKey is still ${w.verb} ${w.thing}; call again with the ` +
          `same key in ${taken.retryAfterSeconds} s to get its result.`,
        { retryable: true, retryAfterSeconds: taken.retryAfterSeconds },
      );
    case 'uncertain':
      return errorResult(
        'outcome_unknown',
        `An earlier call with this idempotencyKey (at ${new Date(taken.firstAt).toISOString()}) got no clear ` +
          `answer, so ${w.thing} may or may not exist. toolvault will not risk a duplicate under this key: ` +
          `${w.howToCheck}; if it is not there, retry with a new idempotencyKey.`,
        { retryable: false },
      );
  }
}
