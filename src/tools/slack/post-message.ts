import { z } from 'zod';
import { providerSignalOf } from '../../auth/access.js';
import type { ApiClient } from '../../providers/api-client.js';
import { defineTool } from '../kit/define.js';
import { idempotentWrite } from '../kit/idempotent-write.js';
import { callProvider } from '../kit/provider-tool.js';
import { okResult, outputSchema } from '../kit/result.js';
import { channelInput, displayChannel, SLACK_TS } from './refs.js';
import { slackRequestFailed, slackUnreadable } from './errors.js';

const posted = z.object({ channel: z.string(), ts: z.string() });
const permalinkBody = z.object({ permalink: z.string() });

/**
 * Best effort: the message is already posted, so nothing here may fail the call. A provider signal (rate
 * limit, expired token) must not reach the broker either: it would re-run the tool and post twice.
 */
async function permalink(api: ApiClient, channel: string, ts: string): Promise<string | undefined> {
  try {
    const r = await api.request('GET', 'chat.getPermalink', { query: { channel, message_ts: ts } });
    const body = permalinkBody.safeParse(r.body);
    return !r.error && body.success ? body.data.permalink : undefined;
  } catch (err) {
    if (providerSignalOf(err)) return undefined;
    throw err;
  }
}

const SCOPES = ['chat:write'];

export const slackPostMessage = defineTool({
  name: 'slack.postMessage',
  title: 'Post a Slack message',
  description:
    'Post a message to a Slack channel as the user, optionally as a reply in a thread. `channel` takes a ' +
    'channel id or a #name; `threadTs` is the ts of the message to reply to (a thread parent from ' +
    'slack.readMessages). Slack mrkdwn formatting and <url|text> links work in `text`. Returns the channel ' +
    'id, the new message ts and a permalink. Not idempotent: calling it twice posts twice. Returns ' +
    'auth_required with a link when Slack is not connected or lacks chat:write.',
  provider: 'slack',
  scopes: SCOPES,
  input: z.object({
    channel: channelInput,
    text: z.string().min(1).max(40_000).describe('message text (Slack mrkdwn), at most 40,000 characters'),
    threadTs: SLACK_TS.optional().describe(
      "ts of the message to reply to in its thread (Slack's thread_ts); omit for a top-level message",
    ),
  }),
  output: outputSchema({
    channel: z.string().optional().describe('id of the channel posted to'),
    ts: z.string().optional().describe('ts of the new message: its id within the channel'),
    threadTs: z.string().optional().describe('the thread the message was posted in, if any'),
    permalink: z.string().optional().describe('link to the message in Slack'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(input, ctx) {
    const where = `${displayChannel(input.channel)}${input.threadTs ? ' (in thread)' : ''}`;
    const texts = {
      provider: 'Slack',
      thing: `the message to ${where}`,
      verb: 'posting',
      howToCheck: 'read the channel with slack.readMessages',
    };
    return idempotentWrite(ctx, undefined, texts, (track) =>
      callProvider(ctx, 'slack', SCOPES, async (raw) => {
        const api = track(raw);
        const r = await api.request('POST', 'chat.postMessage', {
          form: { channel: input.channel, text: input.text, thread_ts: input.threadTs },
        });
        if (r.error) return slackRequestFailed(r.error, displayChannel(input.channel));
        const body = posted.safeParse(r.body);
        if (!body.success) return slackUnreadable('chat.postMessage');
        const { channel, ts } = body.data;
        const link = await permalink(raw, channel, ts);
        return okResult(`Posted to ${where}: ts ${ts}${link ? `, ${link}` : ''}.`, {
          channel,
          ts,
          ...(input.threadTs ? { threadTs: input.threadTs } : {}),
          ...(link ? { permalink: link } : {}),
        });
      }),
    );
  },
});
