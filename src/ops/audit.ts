import type { NewAuditRecord, Store } from '../vault/types.js';
import type { Logger } from '../log.js';

/**
 * A finished tool call, as the audit trail keeps it (vault's AuditRecord before it has an id): who, which
 * tool and provider, how it ended, how long it took, its correlation id. Never its arguments.
 */
export type ToolCallRecord = NewAuditRecord;

export interface ToolCallRecorder {
  /** Counts, logs and queues the audit row; returns at once so the result is not held up by the write. */
  record(r: ToolCallRecord): Promise<void>;
  /** Writes every queued audit row (before reading the trail, and at shutdown). */
  flush(): Promise<void>;
}

/**
 * How long a queued audit row waits for others to share its write. One transaction per row cost ~20-60 µs of
 * server CPU per call (the commit, not the insert); a short window lets a steady stream of calls share one.
 */
const BATCH_WINDOW_MS = 10;
/** A queue this long is written at once rather than at the end of the window. */
const BATCH_MAX = 256;

/**
 * Records a finished tool call: the metrics and one log line at once, and one audit row in the store written
 * shortly after the result has gone out (the insert was ~90 µs on every call's latency path), in a batch
 * with the other calls that finished within a few milliseconds of it. Failing to record is logged and never
 * fails the call. `flush` writes the queue at once, and shutdown and every read of the trail call it first.
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
        await d.store().appendAudits(batch);
      } catch (err) {
        d.log.error({ records: batch.length, err: (err as Error).message }, 'could not write audit records');
      }
    }
  };
  let wake: (() => void) | undefined;
  const schedule = (): Promise<void> => {
    writing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(done, BATCH_WINDOW_MS);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = () => setImmediate(done);
    })
      .then(write)
      .finally(() => {
        writing = undefined;
      });
    return writing;
  };
  /** Ends the current window early (a full queue, or someone waiting for the rows). */
  const now = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
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
      if (queue.length >= BATCH_MAX) now();
    },
    async flush() {
      while (writing || queue.length > 0) {
        const w = writing ?? schedule();
        now();
        await w;
      }
    },
  };
}
