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

export interface ToolCallRecorder {
  /** Counts, logs and queues the audit row; returns at once so the result is not held up by the write. */
  record(r: ToolCallRecord): Promise<void>;
  /** Writes every queued audit row (before reading the trail, and at shutdown). */
  flush(): Promise<void>;
}

/**
 * Records a finished tool call: the metrics and one log line at once, and one audit row in the store written
 * just after the result has gone out (the insert was ~90 µs on every call's latency path). Failing to record
 * is logged and never fails the call.
 */
export function toolCallRecorder(d: {
  store: () => Store;
  log: Logger;
  metrics?: { toolCall(r: ToolCallRecord): void };
}): ToolCallRecorder {
  let queue: ToolCallRecord[] = [];
  let writing: Promise<void> | undefined;

  const write = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await d.store().appendAudits(
          batch.map((r) => ({
            at: r.at,
            userId: r.userId,
            tool: r.tool,
            provider: r.provider,
            status: r.status,
            kind: r.kind,
            durationMs: r.durationMs,
            correlationId: r.callId,
          })),
        );
      } catch (err) {
        d.log.error({ records: batch.length, err: (err as Error).message }, 'could not write audit records');
      }
    }
  };
  const schedule = (): Promise<void> => {
    writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(write).finally(() => {
      writing = undefined;
    });
    return writing;
  };

  return {
    async record(r) {
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
      queue.push(r);
      void schedule();
    },
    async flush() {
      while (writing || queue.length > 0) await (writing ?? schedule());
    },
  };
}
