import type { ResultKind } from '../../contract.js';
import type { ApiRequestError } from '../../providers/types.js';
import { errorResult, type ToolResult } from '../kit/result.js';

/**
 * Slack's request failures (HTTP 200 `{ok:false, error}` that are not about the token; the broker handles
 * those) turned into results an agent can act on. `code` is Slack's documented error code, safe to show;
 * Slack's raw body never reaches the agent.
 */

type Explain = (channel: string) => [kind: ResultKind, message: string];

const KNOWN: Record<string, Explain> = {
  channel_not_found: (ch) => [
    'not_found',
    `Slack has no channel ${ch} that this user can see. Call slack.listChannels to find the channel id.`,
  ],
  not_in_channel: (ch) => [
    'forbidden',
    `The user is not a member of ${ch}. They must join it in Slack before toolvault can post or read there.`,
  ],
  is_archived: (ch) => ['invalid_request', `${ch} is archived; Slack accepts no new messages there.`],
  msg_too_long: () => ['invalid_request', 'The message is too long for Slack (at most 40,000 characters).'],
  no_text: () => ['invalid_request', 'Slack refused an empty message; give some text.'],
  thread_not_found: (ch) => ['not_found', `Slack found no thread with that thread_ts in ${ch}.`],
  message_not_found: (ch) => ['not_found', `Slack found no message with that ts in ${ch}.`],
  invalid_cursor: () => [
    'invalid_request',
    'Slack did not accept the cursor (cursors expire); start again without one.',
  ],
  invalid_ts_oldest: () => [
    'invalid_request',
    'oldest must be a Slack timestamp such as "1700000000.000100".',
  ],
  invalid_types: () => ['invalid_request', 'Slack did not accept the channel types asked for.'],
  restricted_action: (ch) => ['forbidden', `A workspace setting stops this user from posting in ${ch}.`],
  cannot_reply_to_message: () => ['invalid_request', 'Slack does not allow replies to that message.'],
};

/** A result for a Slack method that failed for a reason of its own; `channel` names what was asked for. */
export function slackRequestFailed(error: ApiRequestError, channel: string): ToolResult {
  const known = KNOWN[error.code];
  const [kind, message]: [ResultKind, string] = known
    ? known(channel)
    : [
        'unknown',
        `Slack refused the request (${error.code}${error.status !== 200 ? `, HTTP ${error.status}` : ''}).`,
      ];
  return errorResult(kind, message, {
    provider: 'slack',
    ...(error.details ? { details: error.details } : {}),
  });
}

/** A 2xx answer that lacks what Slack documents: the call may have worked, but we cannot say what it did. */
export function slackUnreadable(method: string): ToolResult {
  return errorResult('unknown', `Slack answered ${method} in a shape toolvault does not understand.`, {
    provider: 'slack',
  });
}
