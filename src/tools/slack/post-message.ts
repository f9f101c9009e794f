import { z } from 'zod';
import type { ProviderApi } from '../../auth/provider-api.js';
import { defineProviderTool } from '../kit/provider-tool.js';
import { known, okResult, outputSchema } from '../kit/result.js';
import { channelInput, displayChannel, SLACK_TS } from './refs.js';
import { slackRequestFailed } from './errors.js';

const posted = z.object({ channel: known(z.string()), ts: known(z.string()) });
const permalinkBody = z.object({ permalink: z.string() });

/** Best effort: the message is already posted, so this read is optional and nothing here fails the call. */
async function permalink(api: ProviderApi, channel: string, ts: string): Promise<string | undefined> {
  const r = await api.optional('GET', 'chat.getPermalink', { query: { channel, message_ts: ts } });
  const body = permalinkBody.safeParse(r?.body);
  return r && !r.error && body.success ? body.data.permalink : undefined;
}

const SCOPES = ['chat:write'];

const where = (input: { channel: string; threadTs?: string | undefined }) =>
  `${displayChannel(input.channel)}${input.threadTs ? ' (in thread)' : ''}`;

export const slackPostMessage = defineProviderTool({
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
  write: (input) => ({
    provider: 'Slack',
    thing: `the message to ${where(input)}`,
    verb: 'posting',
    howToCheck: 'read the channel with slack.readMessages',
  }),
  async run(input, api) {
    const r = await api.request('POST', 'chat.postMessage', {
      form: { channel: input.channel, text: input.text, thread_ts: input.threadTs },
    });
    if (r.error) return slackRequestFailed(r.error, displayChannel(input.channel));
    // Slack said ok: the message is posted, even if its answer lacks the channel or ts.
    const body = posted.safeParse(r.body);
    const { channel, ts } = body.success ? body.data : {};
    const link = channel && ts ? await permalink(api, channel, ts) : undefined;
    return okResult(`Posted to ${where(input)}${ts ? `: ts ${ts}` : ''}${link ? `, ${link}` : ''}.`, {
      ...(channel ? { channel } : {}),
      ...(ts ? { ts } : {}),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      ...(link ? { permalink: link } : {}),
    });
  },
});
