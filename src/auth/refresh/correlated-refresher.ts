import { correlationId, withLogContext } from '../../log-context.js';
import { type RefreshOutcome, type RefreshReason, Refresher } from './refresher.js';

/**
 * The refresh engine with a correlation id per refresh: every log line and event it writes while refreshing
 * carries `refreshId` (and the `callId` of the tool call that needed it, if one did). Callers that join a
 * refresh already in flight share its id, since they share its work.
 */
export class CorrelatedRefresher extends Refresher {
  override refresh(
    connectionId: string,
    reason: RefreshReason,
    seenVersion: number,
  ): Promise<RefreshOutcome> {
    return withLogContext({ refreshId: correlationId('refresh') }, () =>
      super.refresh(connectionId, reason, seenVersion),
    );
  }
}
