import type { Store } from '../auth/store/types.js';
import type { Logger } from '../log.js';

/**
 * What is kept of a tool call: who, which tool and provider, how it ended, how long it took, and its
 * correlation id. Never its arguments — they may hold anything a user typed.
 */
export interface ToolCallRecord {
  at: number;
  userId: string;
  /** Canonical (dotted) name. */
  tool: string;
  provider: string | null;
  status: string;
  /** The error kind, or the auth-required reason; null for success. */
  kind: string | null;
  durationMs: number;
  callId: string;
}

/**
 * Records a finished tool call: one audit row in the store, the metrics, and one log line. Failing to record
 * is logged and never fails the call.
 */
export function toolCallRecorder(d: {
  store: () => Store;
  log: Logger;
  metrics?: { toolCall(r: ToolCallRecord): void };
}): (r: ToolCallRecord) => Promise<void> {
  return async (r) => {
    d.metrics?.toolCall(r);
    // Successes are in the audit trail and the metrics already; a line each would drown stderr.
    const level = r.status === 'error' || r.status === 'auth_required' ? 'info' : 'debug';
    d.log[level](
      {
        tool: r.tool,
        user: r.userId,
        provider: r.provider,
        status: r.status,
        kind: r.kind,
        ms: Math.round(r.durationMs),
      },
      'tool call',
    );
    try {
      await d.store().appendAudit({
        at: r.at,
        userId: r.userId,
        tool: r.tool,
        provider: r.provider,
        status: r.status,
        kind: r.kind,
        durationMs: r.durationMs,
        correlationId: r.callId,
      });
    } catch (err) {
      d.log.error({ tool: r.tool, err: (err as Error).message }, 'could not write the audit record');
    }
  };
}
